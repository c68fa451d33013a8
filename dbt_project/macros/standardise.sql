{#- Match-key standardisation shared by every source (identity resolution compares these). -#}

{#- E-mail: trimmed, lower case; null when it is not shaped like an address. -#}
{% macro standardise_email(column) -%}
    {{ return(adapter.dispatch('standardise_email', 'customer_scoring')(column)) }}
{%- endmacro %}
{% macro default__standardise_email(column) -%}
    case
        when regexp_full_match(lower(trim({{ column }})), '[^@\s]+@[^@\s]+\.[a-z]{2,}')
            then lower(trim({{ column }}))
    end
{%- endmacro %}
{#- Spark: Java's regexp finds a match anywhere, so the whole text is anchored (\z: its very end). -#}
{% macro spark__standardise_email(column) -%}
    case
        when regexp(lower(trim({{ column }})), r'^(?:[^@\s]+@[^@\s]+\.[a-z]{2,})\z')
            then lower(trim({{ column }}))
    end
{%- endmacro %}

{#- Name for matching: lower case, accents folded (ł is a letter, not an accent: folded by hand),
    hyphens become spaces ("Anne-Marie" = "anne marie"), anything but letters and spaces dropped
    ("O'Brien" = "obrien"), runs of spaces collapsed. Display keeps the original. -#}
{% macro fold_name(column) -%}
    {{ return(adapter.dispatch('fold_name', 'customer_scoring')(column)) }}
{%- endmacro %}
{% macro default__fold_name(column) -%}
    nullif(
        trim(regexp_replace(regexp_replace(
            strip_accents(replace(replace(lower(trim({{ column }})), 'ł', 'l'), 'ß', 'ss')),
            '-', ' ', 'g'), '[^a-z ]|(\s)\s+', '\1', 'g'
        )),
        ''
    )
{%- endmacro %}
{#- Spark: regexp_replace replaces every match (no 'g' flag), $1 is the group; raw literals keep \s. -#}
{% macro spark__fold_name(column) -%}
    nullif(
        trim(regexp_replace(regexp_replace(
            {{ strip_accents("replace(replace(lower(trim(" ~ column ~ ")), 'ł', 'l'), 'ß', 'ss')") }},
            '-', ' '), r'[^a-z ]|(\s)\s+', '$1'
        )),
        ''
    )
{%- endmacro %}

{#- Address line for matching: lower case, accents folded, punctuation to spaces, runs of spaces
    collapsed ("12, Rue de l'Église" = "12 rue de l eglise"). -#}
{% macro fold_address(column) -%}
    {{ return(adapter.dispatch('fold_address', 'customer_scoring')(column)) }}
{%- endmacro %}
{% macro default__fold_address(column) -%}
    nullif(
        trim(regexp_replace(
            strip_accents(replace(replace(lower(trim({{ column }})), 'ł', 'l'), 'ß', 'ss')),
            '[^a-z0-9]+', ' ', 'g'
        )),
        ''
    )
{%- endmacro %}
{% macro spark__fold_address(column) -%}
    nullif(
        trim(regexp_replace(
            {{ strip_accents("replace(replace(lower(trim(" ~ column ~ ")), 'ł', 'l'), 'ß', 'ss')") }},
            '[^a-z0-9]+', ' '
        )),
        ''
    )
{%- endmacro %}

{#- (Erasure requests only: person records' phones are read with phonenumbers in Python, see
    platform_assets/referential/identity/standardise.py.) Digits and a leading + of a phone as keyed ("06.12 34", "+44 (0)7700…"). -#}
{% macro phone_digits(column) -%}
    {{ return(adapter.dispatch('phone_digits', 'customer_scoring')(column)) }}
{%- endmacro %}
{% macro default__phone_digits(column) -%}
    nullif(regexp_replace(replace(trim({{ column }}), '(0)', ''), '[^0-9+]', '', 'g'), '')
{%- endmacro %}
{% macro spark__phone_digits(column) -%}
    nullif(regexp_replace(replace(trim({{ column }}), '(0)', ''), '[^0-9+]', ''), '')
{%- endmacro %}

{#- Phone in E.164 from its digits (see phone_digits), using the business unit's numbering plan
    (columns calling_code, national_prefix, national_number_digits must be in scope).
    International writings (+ or 00) are kept when their length is plausible; national ones
    get the country's calling code; anything else is null. -#}
{% macro phone_e164(digits) -%}
    case
        when {{ text_starts_with(digits, "'+'") }} and length({{ digits }}) between 9 and 16
            then {{ digits }}
        when {{ text_starts_with(digits, "'00'") }} and length({{ digits }}) between 10 and 17
            then '+' || substr({{ digits }}, 3)
        when national_prefix is not null
            and {{ text_starts_with(digits, 'national_prefix') }}
            and length({{ digits }}) = length(national_prefix) + national_number_digits
            then '+' || calling_code || substr({{ digits }}, length(national_prefix) + 1)
        when national_prefix is null and length({{ digits }}) = national_number_digits
            then '+' || calling_code || {{ digits }}
    end
{%- endmacro %}

{#- Postcode for matching: upper case, letters and digits only ("sw1a1aa" = "SW1A 1AA"). -#}
{% macro standardise_postcode(column) -%}
    {{ return(adapter.dispatch('standardise_postcode', 'customer_scoring')(column)) }}
{%- endmacro %}
{% macro default__standardise_postcode(column) -%}
    nullif(upper(regexp_replace(trim({{ column }}), '[^A-Za-z0-9]', '', 'g')), '')
{%- endmacro %}
{% macro spark__standardise_postcode(column) -%}
    nullif(upper(regexp_replace(trim({{ column }}), '[^A-Za-z0-9]', '')), '')
{%- endmacro %}
