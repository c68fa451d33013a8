{#- Every non-null date or timestamp falls on a day inside the retailer's plausible date window
    (configuration `dates`, written to referential.plausible_dates by a Python asset). -#}
{% test in_plausible_dates(model, column_name) %}

with window_ as (
    select earliest_date, latest_date from {{ source('retailer', 'plausible_dates') }}
)

select model.*
from {{ model }} as model
cross join window_
where {{ column_name }} is not null
    and (cast({{ column_name }} as date) < window_.earliest_date
        or cast({{ column_name }} as date) > window_.latest_date)

{% endtest %}
