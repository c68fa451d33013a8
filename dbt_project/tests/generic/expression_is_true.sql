{#- Every row satisfies a boolean SQL expression (the few-line replacement for dbt_utils). -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
