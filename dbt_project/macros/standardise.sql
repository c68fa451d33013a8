{#- Match-key standardisation shared by every source (identity resolution compares these). -#}

{#- E-mail: trimmed, lower case; null when it is not shaped like an address. -#}
{% macro standardise_email(column) -%}
    case
        when regexp_full_match(lower(trim({{ column }})), '[^@\s]+@[^@\s]+\.[a-z]{2,}')
            then lower(trim({{ column }}))
    end
{%- endmacro %}

{#- Name for matching: lower case, accents folded (ł is a letter, not an accent: folded by hand),
    hyphens become spaces ("Anne-Marie" = "anne marie"), anything but letters and spaces dropped
    ("O'Brien" = "obrien"), runs of spaces collapsed. Display keeps the original. -#}
{% macro fold_name(column) -%}
    nullif(
        trim(regexp_replace(regexp_replace(
            strip_accents(replace(replace(lower(trim({{ column }})), 'ł', 'l'), 'ß', 'ss')),
            '-', ' ', 'g'), '[^a-z ]|(\s)\s+', '\1', 'g'
        )),
        ''
    )
{%- endmacro %}

{#- Address line for matching: lower case, accents folded, punctuation to spaces, runs of spaces
    collapsed ("12, Rue de l'Église" = "12 rue de l eglise"). -#}
{% macro fold_address(column) -%}
    nullif(
        trim(regexp_replace(
            strip_accents(replace(replace(lower(trim({{ column }})), 'ł', 'l'), 'ß', 'ss')),
            '[^a-z0-9]+', ' ', 'g'
        )),
        ''
    )
{%- endmacro %}

{#- Postcode for matching: upper case, letters and digits only ("sw1a1aa" = "SW1A 1AA"). -#}
{% macro standardise_postcode(column) -%}
    nullif(upper(regexp_replace(trim({{ column }}), '[^A-Za-z0-9]', '', 'g')), '')
{%- endmacro %}
