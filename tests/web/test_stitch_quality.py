"""Stitch quality against the truth, on hand-made frames: each denominator counts what it says."""

import polars as pl

from platform_assets.referential.web_stitching import customer_persons, measure


def test_precision_recall_and_their_denominators():
    cookies = pl.DataFrame(
        {
            "cookie_id": ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "bot1", "bot2"],
            "is_bot": [False, False, False, False, False, False, False, True, False],
            "logged_in": [True, True, False, True, True, True, True, False, False],
            "stitch_status": [
                "attributed",  # k1: right person
                "attributed",  # k2: wrong person
                "anonymous",  # k3: never logged in
                "anonymous",  # k4: logged in to an account no customer has
                "shared",  # k5: shared device kept apart
                "attributed",  # k6: shared device, attributed to its second person
                None,  # k7: an erased person's cookie (not in int_web_cookies)
                None,  # bot1: flagged
                "anonymous",  # bot2: a bot the rule missed
            ],
            "customer_id": ["C1", "C2", None, None, None, "C3", None, None, None],
        }
    )
    truth = pl.DataFrame(
        {
            "cookie_id": ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "bot1", "bot2", "unseen"],
            "person_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7", None, None, "P9"],
            "is_bot": [False] * 7 + [True, True, False],
            "shared_person_id": [None, None, None, None, "P8", "P3", None, None, None, None],
            "person_erased": [False] * 6 + [True, False, False, False],
        }
    )
    xref = pl.DataFrame(
        {
            "record_id": ["crm:1", "ecommerce:1", "crm:2", "crm:3", "crm:4"],
            "customer_id": ["C1", "C1", "C2", "C3", "C3"],
        }
    )
    records = pl.DataFrame(
        {
            "record_id": ["crm:1", "ecommerce:1", "crm:2", "crm:3", "crm:4"],
            "entity_id": ["P1", "P1", "P9", "P3", "P3"],
        }
    )
    q = measure(cookies, truth, customer_persons(xref, records))
    assert q.cookies == 9  # the truth's cookies seen in the export ("unseen" is not)
    assert (q.bot_cookies, q.bot_cookies_flagged, q.bot_precision, q.bot_recall) == (2, 1, 1.0, 0.5)
    # single-person cookies: k1, k2, k3, k4 (k5 and k6 are shared, k7 erased, bots out)
    assert (q.single_person_cookies, q.single_person_cookies_logged_in) == (4, 3)
    assert (q.attributed_cookies, q.correct_cookies, q.stitch_precision) == (3, 2, 2 / 3)  # k1 and k6 right
    assert (q.stitch_recall, q.stitch_recall_logged_in) == (1 / 4, 1 / 3)  # only k1 among single-person
    assert (q.shared_cookies, q.shared_cookies_kept_apart, q.shared_cookies_attributed) == (2, 1, 1)
    assert (q.erased_person_cookies, q.erased_person_cookies_attributed) == (1, 0)
