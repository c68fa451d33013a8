{#- Every non-null value lies within [min_value, max_value] (either bound optional; dates as
    quoted literals): the few-line replacement for dbt_utils' accepted_range. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}

select *
from {{ model }}
where {{ column_name }} is not null
    and not (
        true
        {%- if min_value is not none %} and {{ column_name }} >= {{ min_value }}{% endif %}
        {%- if max_value is not none %} and {{ column_name }} <= {{ max_value }}{% endif %}
    )

{% endtest %}
