{#- Portable SQL: each construct whose spelling differs between DuckDB (the default warehouse) and
    Spark (CDP_ENGINE=spark, dbt-spark) is one macro here, dispatched on the target's adapter.
    The default__ form is DuckDB's, the SQL the models held before, so a DuckDB build is unchanged;
    the spark__ form gives the same values (tests/spark/test_spark_equality.py builds every model on
    both and compares). Spark's session runs in UTC with ANSI mode off (dbt-spark's default). -#}

{#- Lower-case hex SHA-256 of a string (the erasure list's and the request match keys' hashes). -#}
{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'customer_scoring')(expression)) }}
{%- endmacro %}
{% macro default__sha256_hex(expression) -%} sha256({{ expression }}) {%- endmacro %}
{% macro spark__sha256_hex(expression) -%} sha2({{ expression }}, 256) {%- endmacro %}

{#- True when the regular expression matches somewhere in the text (DuckDB's RE2, Java's on Spark:
    the configured patterns keep to their common syntax). -#}
{% macro regex_contains(text, pattern) -%}
    {{ return(adapter.dispatch('regex_contains', 'customer_scoring')(text, pattern)) }}
{%- endmacro %}
{% macro default__regex_contains(text, pattern) -%} regexp_matches({{ text }}, {{ pattern }}) {%- endmacro %}
{% macro spark__regex_contains(text, pattern) -%} regexp({{ text }}, {{ pattern }}) {%- endmacro %}

{#- True when the regular expression matches the whole text. -#}
{% macro regex_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'customer_scoring')(text, pattern)) }}
{%- endmacro %}
{% macro default__regex_full_match(text, pattern) -%} regexp_full_match({{ text }}, {{ pattern }}) {%- endmacro %}
{% macro spark__regex_full_match(text, pattern) -%}
    regexp({{ text }}, concat('^(?:', {{ pattern }}, ')$'))
{%- endmacro %}

{#- Accents folded ('é' -> 'e'). Spark has no strip_accents: the lower-case Latin letters whose
    canonical decomposition is an ASCII letter and marks (Latin-1 Supplement, Latin Extended-A and B,
    Latin Extended Additional: what DuckDB's strip_accents folds among them) are translated; the
    callers lower-case first. A letter outside them keeps its accent on Spark. -#}
{% macro strip_accents(text) -%}
    {{ return(adapter.dispatch('strip_accents', 'customer_scoring')(text)) }}
{%- endmacro %}
{% macro default__strip_accents(text) -%} strip_accents({{ text }}) {%- endmacro %}
{% macro spark__strip_accents(text) -%}
    translate(
        {{ text }},
        'àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏőŕŗřśŝşšţťũūŭůűųŵŷźżžơưǎǐǒǔǖǘǚǜǟǡǧǩǫǭǰǵǹǻȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧȩȫȭȯȱȳḁḃḅḇḉḋḍḏḑḓḕḗḙḛḝḟḡḣḥḧḩḫḭḯḱḳḵḷḹḻḽḿṁṃṅṇṉṋṍṏṑṓṕṗṙṛṝṟṡṣṥṧṩṫṭṯṱṳṵṷṹṻṽṿẁẃẅẇẉẋẍẏẑẓẕẖẗẘẙạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ',
        'aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooorrrssssttuuuuuuwyzzzouaiouuuuuaagkoojgnaaaeeiioorruusthaeooooyabbbcdddddeeeeefghhhhhiikkkllllmmmnnnnoooopprrrrsssssttttuuuuuvvwwwwwxxyzzzhtwyaaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyy'
    )
{%- endmacro %}

{#- A date or timestamp as text in a strftime pattern (%Y, %m, %d, %H, %M, %S). -#}
{% macro format_date(value, strftime_pattern) -%}
    {{ return(adapter.dispatch('format_date', 'customer_scoring')(value, strftime_pattern)) }}
{%- endmacro %}
{% macro default__format_date(value, strftime_pattern) -%}
    strftime({{ value }}, '{{ strftime_pattern }}')
{%- endmacro %}
{% macro spark__format_date(value, strftime_pattern) -%}
    {%- set java = strftime_pattern | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd')
        | replace('%H', 'HH') | replace('%M', 'mm') | replace('%S', 'ss') -%}
    date_format({{ value }}, '{{ java }}')
{%- endmacro %}

{#- A local wall-clock timestamp in time zone `zone` as its UTC wall-clock timestamp, and back. -#}
{% macro local_to_utc(local_timestamp, zone) -%}
    {{ return(adapter.dispatch('local_to_utc', 'customer_scoring')(local_timestamp, zone)) }}
{%- endmacro %}
{% macro default__local_to_utc(local_timestamp, zone) -%}
    timezone({{ zone }}, {{ local_timestamp }}) at time zone 'UTC'
{%- endmacro %}
{% macro spark__local_to_utc(local_timestamp, zone) -%}
    to_utc_timestamp({{ local_timestamp }}, {{ zone }})
{%- endmacro %}

{% macro utc_to_local(utc_timestamp, zone) -%}
    {{ return(adapter.dispatch('utc_to_local', 'customer_scoring')(utc_timestamp, zone)) }}
{%- endmacro %}
{% macro default__utc_to_local(utc_timestamp, zone) -%}
    timezone('UTC', {{ utc_timestamp }}) at time zone {{ zone }}
{%- endmacro %}
{% macro spark__utc_to_local(utc_timestamp, zone) -%}
    from_utc_timestamp({{ utc_timestamp }}, {{ zone }})
{%- endmacro %}

{#- A struct from named expressions ({'name': 'sql expression', ...}, in order); its fields are read
    as `struct.name` on both engines. -#}
{% macro struct_of(fields) -%}
    {{ return(adapter.dispatch('struct_of', 'customer_scoring')(fields)) }}
{%- endmacro %}
{% macro default__struct_of(fields) -%}
    { {%- for name, expression in fields.items() %}'{{ name }}': {{ expression }}{{ ", " if not loop.last }}{% endfor -%} }
{%- endmacro %}
{% macro spark__struct_of(fields) -%}
    named_struct( {%- for name, expression in fields.items() %}'{{ name }}', {{ expression }}{{ ", " if not loop.last }}{% endfor -%} )
{%- endmacro %}

{#- The value of `argument` on the row with the greatest (arg_max) or least (arg_min) ordering key,
    `keys` a list of expressions compared in order; as DuckDB's arg_max/arg_min: rows whose argument
    is null are skipped, and a null key field sorts above every value. Spark's max_by/min_by are given
    the same order: a null argument's key is null (skipped), each key field preceded by its is-null
    flag (true above false). -#}
{% macro arg_max(argument, keys) -%}
    {{ return(adapter.dispatch('arg_extreme', 'customer_scoring')('max', argument, keys)) }}
{%- endmacro %}
{% macro arg_min(argument, keys) -%}
    {{ return(adapter.dispatch('arg_extreme', 'customer_scoring')('min', argument, keys)) }}
{%- endmacro %}
{% macro default__arg_extreme(extreme, argument, keys) -%}
    {%- if keys | length == 1 -%}
    arg_{{ extreme }}({{ argument }}, {{ keys[0] }})
    {%- else -%}
    arg_{{ extreme }}({{ argument }}, ({{ keys | join(', ') }}))
    {%- endif -%}
{%- endmacro %}
{% macro spark__arg_extreme(extreme, argument, keys) -%}
    {{ extreme }}_by({{ argument }}, case when ({{ argument }}) is not null then struct(
        {%- for key in keys %}({{ key }}) is null, {{ key }}{{ ", " if not loop.last }}{% endfor -%}
    ) end)
{%- endmacro %}

{#- The distinct values of a group, sorted, joined with `separator`. -#}
{% macro sorted_distinct_agg(expression, separator) -%}
    {{ return(adapter.dispatch('sorted_distinct_agg', 'customer_scoring')(expression, separator)) }}
{%- endmacro %}
{% macro default__sorted_distinct_agg(expression, separator) -%}
    array_to_string(list_sort(list_distinct(list({{ expression }}))), '{{ separator }}')
{%- endmacro %}
{% macro spark__sorted_distinct_agg(expression, separator) -%}
    array_join(array_sort(collect_set({{ expression }})), '{{ separator }}')
{%- endmacro %}

{#- Each word (runs of letters between spaces, hyphens and apostrophes) with its first letter in
    upper case and the rest in lower case ('JEAN-PIERRE' -> 'Jean-Pierre'). -#}
{% macro capitalise_words(text) -%}
    {{ return(adapter.dispatch('capitalise_words', 'customer_scoring')(text)) }}
{%- endmacro %}
{% macro default__capitalise_words(text) -%}
    array_to_string(list_transform(
        regexp_extract_all({{ text }}, '[^ ''-]+|[ ''-]'),
        lambda part: upper(part[1]) || lower(part[2:])
    ), '')
{%- endmacro %}
{% macro spark__capitalise_words(text) -%}
    array_join(transform(
        regexp_extract_all({{ text }}, '[^ ''-]+|[ ''-]', 0),
        part -> upper(substr(part, 1, 1)) || lower(substr(part, 2))
    ), '')
{%- endmacro %}

{#- A session setting around a model (DuckDB's preserve_insertion_order): nothing on Spark. -#}
{% macro duckdb_setting(statement) -%}
    {{ return(adapter.dispatch('duckdb_setting', 'customer_scoring')(statement)) }}
{%- endmacro %}
{% macro default__duckdb_setting(statement) -%} {{ statement }} {%- endmacro %}
{% macro spark__duckdb_setting(statement) -%} select 1 {%- endmacro %}

{#- True when the text begins with the prefix. -#}
{% macro text_starts_with(text, prefix) -%}
    {{ return(adapter.dispatch('text_starts_with', 'customer_scoring')(text, prefix)) }}
{%- endmacro %}
{% macro default__text_starts_with(text, prefix) -%} starts_with({{ text }}, {{ prefix }}) {%- endmacro %}
{% macro spark__text_starts_with(text, prefix) -%} startswith({{ text }}, {{ prefix }}) {%- endmacro %}

{#- True when the text holds a character outside ASCII (an accented letter). -#}
{% macro has_non_ascii(text) -%}
    {{ return(adapter.dispatch('has_non_ascii', 'customer_scoring')(text)) }}
{%- endmacro %}
{% macro default__has_non_ascii(text) -%} regexp_matches({{ text }}, '[^[:ascii:]]') {%- endmacro %}
{% macro spark__has_non_ascii(text) -%} regexp({{ text }}, r'[^\x00-\x7F]') {%- endmacro %}

{#- On Spark (on-run-start): the dbt sources the selected nodes read (through ephemeral models too),
    registered as Parquet tables over the files the platform's DuckDB side exported for this build
    (<CDP_SPARK_DIR>/handoff/<schema>/<table>, lib/engine.export_for_spark). Nothing on DuckDB, where
    the Python assets write the sources into the warehouse itself. -#}
{% macro register_spark_sources() -%}
    {{ return(adapter.dispatch('register_spark_sources', 'customer_scoring')()) }}
{%- endmacro %}
{% macro default__register_spark_sources() -%}{%- endmacro %}
{% macro spark__register_spark_sources() -%}
    {%- if execute -%}
    {%- set folder = env_var('CDP_SPARK_DIR', '../data/spark') ~ '/handoff' -%}
    {%- set sources = [] -%}
    {%- set pending = selected_resources | list -%}
    {%- set seen = [] -%}
    {%- for _ in range(10000) -%}
        {%- if pending -%}
            {%- set uid = pending.pop() -%}
            {%- if uid not in seen -%}
                {%- do seen.append(uid) -%}
                {%- set node = graph.nodes.get(uid) -%}
                {%- for parent in (node.depends_on.nodes if node else []) -%}
                    {%- if parent.startswith('source.') and parent not in sources -%}
                        {%- do sources.append(parent) -%}
                    {%- elif parent in graph.nodes and graph.nodes[parent].config.materialized == 'ephemeral' -%}
                        {%- do pending.append(parent) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for uid in sources -%}
        {%- set source = graph.sources[uid] -%}
        {%- set relation = source.schema ~ '.' ~ source.identifier -%}
        {%- do run_query('create database if not exists ' ~ source.schema) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query('create table ' ~ relation ~ " using parquet location '" ~ folder ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'") -%}
    {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
