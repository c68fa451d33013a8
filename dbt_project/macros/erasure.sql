{#- True when a source record belongs to a person who exercised the right to erasure: its
    record id (`<source_system>:<source_id>`) is hashed in ops.erasure_suppression, the
    persistent list kept by identity resolution (platform_assets/privacy/erasure.py). -#}
{% macro is_erased_record(record_id) -%}
    ({{ sha256_hex(record_id) }} in (
        select key_hash from {{ source('privacy', 'erasure_suppression') }} where key_type = 'record'
    ))
{%- endmacro %}
