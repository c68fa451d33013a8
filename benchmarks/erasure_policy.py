"""Which keys should erasure follow? Precision and recall of the erased records against the demo's ground truth.

    flock /tmp/cdp-1m.lock uv run python -m benchmarks.erasure_policy <copy of a working file> <ground_truth dir>

Needs a working file whose crosswalk still holds the requesters (built before erasure existed, or a copy
with the erasure tables dropped). 1M demo, Nov 2026: direct clusters only 2,857 customers, precision
0.975, recall 0.948; + name and birth date 0.908 / 0.949; + the records' e-mails and phones 0.929 / 0.948
(all of these: 3,292 customers, precision 0.858; with names + postcode as well, 36,738 customers)."""

import sys
import time

import duckdb
import polars as pl

from platform_assets.privacy.erasure import record_keys, request_keys

db, truth_dir = sys.argv[1], sys.argv[2]
conn = duckdb.connect(db, read_only=True)
t0 = time.perf_counter()
assign = conn.sql("select record_id, customer_id from referential.customer_xref").pl()
# the name + birth date key the platform no longer follows, to measure what following it would do
name_birth = conn.sql(
    "select record_id, 'name_birth_date' as key_type, "
    "sha256(first_name_std || '|' || last_name_std || '|' || birth_date) as key_hash "
    "from intermediate.int_customer_records_standardised "
    "where first_name_std is not null and last_name_std is not null and birth_date is not null"
).pl()
keys = pl.concat([record_keys(conn, assign), name_birth]).join(assign, on="record_id")
requests = conn.sql("""
  with r as (select r.*, b.calling_code, b.national_prefix, b.national_number_digits,
     nullif(regexp_replace(replace(trim(phone), '(0)', ''), '[^0-9+]', '', 'g'), '') as d
   from staging.stg_consent__erasure_requests r left join referential.business_units b using (country_code))
  select erasure_request_id,
    case when regexp_full_match(lower(trim(email)), '[^@\\s]+@[^@\\s]+\\.[a-z]{2,}') then lower(trim(email)) end as email_std,
    case when starts_with(d, '+') and length(d) between 9 and 16 then d
         when starts_with(d, '00') and length(d) between 10 and 17 then '+' || substr(d, 3)
         when national_prefix is not null and starts_with(d, national_prefix::varchar)
              and length(d) = length(national_prefix::varchar) + national_number_digits
              then '+' || calling_code || substr(d, length(national_prefix::varchar) + 1)
         when national_prefix is null and length(d) = national_number_digits then '+' || calling_code || d end as phone_e164,
    country_code, requested_at from r""").pl()
truth = pl.read_csv(f"{truth_dir}/source_records.csv", infer_schema=False)
persons = pl.read_csv(f"{truth_dir}/persons.csv", infer_schema=False, columns=["person_id", "erased"])
erased_people = set(persons.filter(pl.col("erased") == "true")["person_id"])
rec_person = truth.select(
    (pl.col("source_system") + ":" + pl.col("source_id")).alias("record_id"), "person_id"
)
target = rec_person.filter(pl.col("person_id").is_in(sorted(erased_people))).join(assign, on="record_id")
print(
    f"requests {requests.height}, erased persons {len(erased_people)}, their records in xref {target.height}, setup {time.perf_counter() - t0:.0f}s"
)


def run(cascade_types):
    wanted = request_keys(requests).select("key_type", "key_hash")
    rounds = 0
    while True:
        rounds += 1
        hit_customers = keys.join(wanted, on=["key_type", "key_hash"]).select("customer_id").unique()
        if not cascade_types:
            break
        reached = (
            keys.join(hit_customers, on="customer_id")
            .filter(pl.col("key_type").is_in(cascade_types))
            .select("key_type", "key_hash")
        )
        more = reached.join(wanted, on=["key_type", "key_hash"], how="anti").unique()
        if more.is_empty():
            break
        wanted = pl.concat([wanted, more])
    recs = assign.join(hit_customers, on="customer_id").join(rec_person, on="record_id", how="left")
    tp = recs.filter(pl.col("person_id").is_in(sorted(erased_people))).height
    return {
        "rounds": rounds,
        "customers": hit_customers.height,
        "records": recs.height,
        "precision": round(tp / max(recs.height, 1), 4),
        "recall": round(tp / max(target.height, 1), 4),
    }


for name, types in [
    ("direct clusters only", []),
    ("+ record ids (no-op)", ["record"]),
    ("+ name_birth_date", ["name_birth_date"]),
    ("+ email, phone", ["email", "phone"]),
    ("all keys", ["record", "email", "phone", "name_birth_date"]),
]:
    t = time.perf_counter()
    print(name, run(types), f"{time.perf_counter() - t:.0f}s", flush=True)
