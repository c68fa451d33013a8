"""Tunable constants of the synthetic retailer: countries, profiles, channels, rates.

Everything is indexed by small integers (country 0..2, profile 0..3, channel 0..7) so the
simulation can use numpy lookup tables instead of Python dictionaries.
"""

from __future__ import annotations

import numpy as np

# --- Business units -------------------------------------------------------------------------
COUNTRIES = ("FR", "PL", "GB")
COUNTRY_SHARE = np.array([0.55, 0.25, 0.20])
CURRENCIES = ("EUR", "PLN", "GBP")
FX_PER_EUR = np.array([1.0, 4.3, 0.86])
TIMEZONES = ("Europe/Paris", "Europe/Warsaw", "Europe/London")
WINTER_UTC_OFFSET_H = np.array([1, 1, 0])  # +1 h in summer (EU rule, the UK included)
STORE_CAP = np.array([40, 20, 15])
CUSTOMERS_PER_STORE = 1500
MIN_STORES = 4

# --- Behaviour profiles ---------------------------------------------------------------------
PROFILES = ("loyal", "regular", "occasional", "one_shot")
LOYAL, REGULAR, OCCASIONAL, ONE_SHOT = range(4)
VISITS_PER_MONTH = np.array([1.5, 0.6, 0.15, 0.0])
# Share of e-mails opened relative to the 25 % base, by profile (engaged loyal customers open more).
OPEN_MULT = np.array([1.6, 1.1, 0.8, 0.6])

# --- Acquisition channels -------------------------------------------------------------------
CHANNELS = (
    "paid_search",
    "social",
    "display",
    "affiliate",
    "print_flyer",
    "organic_search",
    "store_walk_in",
    "referral",
)
CHANNEL_SHARE = np.array([0.20, 0.12, 0.08, 0.07, 0.10, 0.15, 0.20, 0.08])
PAID = np.array([True, True, True, True, True, False, False, False])
# Cost per acquired customer in EUR; converted with FX and a country cost level.
CAC_EUR = np.array([30.0, 25.0, 40.0, 35.0, 20.0, 0.0, 0.0, 0.0])
COUNTRY_COST_LEVEL = np.array([1.0, 0.8, 1.1])
CAMPAIGN_PREFIX = ("PSR", "SOC", "DSP", "AFF", "FLY", "", "", "REF")
# P(profile | channel): cheap channels bring more one-shot buyers, so LTV/CAC differs by channel.
PROFILE_BY_CHANNEL = np.array(
    [
        [0.06, 0.23, 0.42, 0.29],  # paid_search
        [0.04, 0.19, 0.43, 0.34],  # social
        [0.03, 0.15, 0.43, 0.39],  # display
        [0.04, 0.17, 0.41, 0.38],  # affiliate
        [0.07, 0.26, 0.41, 0.26],  # print_flyer
        [0.07, 0.26, 0.41, 0.26],  # organic_search
        [0.11, 0.28, 0.37, 0.24],  # store_walk_in
        [0.16, 0.31, 0.34, 0.19],  # referral
    ]
)
# How web-minded the people each channel brings are (added to the web share draw).
CHANNEL_WEB_TILT = np.array([0.20, 0.15, 0.15, 0.20, -0.10, 0.10, -0.20, 0.0])

# --- Seasonality (index 0 = January) --------------------------------------------------------
MONTH_TRAFFIC = np.array([0.72, 0.78, 1.05, 1.30, 1.35, 1.20, 1.00, 0.90, 1.00, 0.95, 0.90, 0.85])
MONTH_TRAFFIC = MONTH_TRAFFIC / MONTH_TRAFFIC.mean()
GARDEN_SEASON = np.array([0.30, 0.40, 1.40, 2.20, 2.20, 1.80, 1.20, 0.80, 0.70, 0.50, 0.35, 0.30])
# Day of week (Monday first) by channel; PL stores are closed most Sundays (trading ban).
STORE_DOW = np.array(
    [
        [0.75, 0.80, 0.85, 0.85, 0.95, 1.45, 0.55],
        [0.85, 0.85, 0.90, 0.90, 1.00, 1.50, 0.08],
        [0.80, 0.80, 0.85, 0.85, 0.95, 1.35, 1.00],
    ]
)
STORE_DOW = STORE_DOW / STORE_DOW.mean(axis=1, keepdims=True)
WEB_DOW = np.array([1.05, 1.00, 1.00, 1.00, 0.95, 0.90, 1.10])
WEB_DOW = WEB_DOW / WEB_DOW.mean()

# --- Life moments (moving, renovation, new garden) ------------------------------------------
MOMENTS = ("moving", "renovation", "new_garden")
MOMENT_SHARE = np.array([0.08, 0.10, 0.08])  # of all persons over the history
LEAD_DAYS = (30, 90)  # early signals before the moment date
AFTER_DAYS = (60, 120)  # big baskets after it
LEAD_VISIT_MULT = 1.6
AFTER_VISIT_MULT = np.array([2.5, 3.0, 2.2])
AFTER_EXTRA_LINES = np.array([1.5, 1.5, 1.0])

# --- Churn ----------------------------------------------------------------------------------
CHURN_TARGET = 0.35  # of non-one-shot persons
# Log-odds of churning from observable traits (the intercept is solved to hit CHURN_TARGET).
CHURN_PROFILE_LOGIT = np.array([-0.5, 0.0, 0.4, 0.0])
CHURN_WEB_ONLY_LOGIT = 1.3
CHURN_FEW_DEPTS_LOGIT = 1.1  # per unit of -log(preference concentration / 6)
CHURN_ENGAGEMENT_LOGIT = 6.5  # per unit of engagement below 0.45
DRIFT_DAYS = (90, 120)  # the slide before churn
DRIFT_VISIT_MULT = 0.5

# --- Baskets --------------------------------------------------------------------------------
LINES_LAMBDA_STORE = 1.8  # lines = 1 + Poisson(lambda), at most 8
LINES_LAMBDA_WEB = 1.5
MAX_LINES = 8
DISCOUNT_P = 0.15
DISCOUNT_P_DRIFT = 0.40
DISCOUNT_PCTS = np.array([0.10, 0.15, 0.20, 0.30])
RETURN_P = 0.04
RETURN_P_DRIFT = 0.12
RETURN_DAYS = (3, 30)
CARD_SCAN_P = 0.80
CANCEL_P = 0.015
# Shipping: flat fee in EUR below the free-shipping threshold, converted by FX.
SHIPPING_FEE_EUR = 5.99
FREE_SHIPPING_EUR = 60.0

# --- Source coverage and noise --------------------------------------------------------------
DUP_CONTACT_P = 0.07
CARD_P_GIVEN_CRM = 0.80
SECOND_CARD_P = 0.04
SECOND_ACCOUNT_P = 0.02
ALT_LOGIN_EMAIL_P = 0.15
ERASURE_P = 0.003
ACCESS_P = 0.0005  # persons asking what the retailer holds on them (at least 3 in any demo)
CONSENT_P = {"email": 0.60, "sms": 0.36, "phone": 0.19, "post": 0.40}

# Drifting customers trade down: extra entry-tier probability, premium probability multiplier.
DRIFT_ENTRY_SHIFT = 0.35
DRIFT_PREMIUM_MULT = 0.3

# --- E-mailing ------------------------------------------------------------------------------
CAMPAIGN_MONTHS = 12
CAMPAIGN_REACH = 0.40
OPEN_P = 0.25
CLICK_P = 0.20  # of opens
UNSUB_P_AFTER_OPEN = 0.012  # ~0.3 % of sends
BOUNCE_P = 0.01
BOUNCE_P_BAD_DOMAIN = 0.85
OPEN_MULT_DRIFT = 0.3
OPEN_MULT_CHURNED = 0.15

# --- Past campaigns (measured by the platform against their control group) -------------------
# Campaigns the retailer's CRM team ran before the platform, each in one business unit: every
# person with a CRM contact, a loyalty card and the channel's consent was targeted; a random
# CONTROL_SHARE was held out. A treated person comes back once within the measurement window with
# probability `response` (an extra visit, card scanned or account used: the offer is redeemed with
# it): the real effect, recorded in ground_truth/campaigns.csv.
# code, name, country index, channel, offer, sent days before the end of the history,
# measurement days, response probability, cost per contact in EUR (converted by FX)
PAST_CAMPAIGNS = (
    ("HIST-SPRING-GARDEN-FR", "Spring garden e-mail", 0, "email", "10% off garden", 200, 28, 0.12, 0.03),
    ("HIST-SUMMER-SMS-PL", "Summer DIY SMS", 1, "sms", "free delivery", 120, 21, 0.10, 0.08),
    ("HIST-AUTUMN-POST-FR", "Autumn catalogue letter", 0, "post", "15 EUR voucher", 75, 30, 0.18, 0.90),
    ("HIST-AUTUMN-POST-GB", "Autumn catalogue letter", 2, "post", "15 GBP voucher", 60, 30, 0.18, 0.90),
    ("HIST-TOOLS-EMAIL-PL", "Power tools week e-mail", 1, "email", "10% on power tools", 25, 14, 0.10, 0.03),
)
CAMPAIGN_CONTROL_SHARE = 0.20
CAMPAIGN_MIN_HISTORY_DAYS = 90  # a campaign sent earlier than this into the history is not simulated

# --- Web analytics export (web.py, web_events.py) -------------------------------------------
WEB_MONTHS = 13  # the export covers the last 13 calendar months up to the end date
# Browsing sessions a year of a regular, half-web customer outside any life moment (scaled by the
# person's web share and visit rate); research, order and e-mail-click sessions come on top.
WEB_BROWSE_SESSIONS_PER_YEAR = 5.5
WEB_REF_RATE = 0.6 / 30.44  # visits a day of a regular customer (people.py `rate` is around it)
WEB_PRE_ACQUISITION_DAYS = 45  # people browse anonymously before their first purchase
WEB_PAGES_MEAN = 4.0  # pages after session_start (geometric, at least one)
WEB_RESEARCH_P_STORE = 0.15  # a research session days before a store purchase: p + 0.5 x web share
WEB_RESEARCH_P_WEB = 0.5  # ... and before a web order (besides the order's own session)
WEB_LOGIN_P = 0.3  # of the other sessions of a person with an account
WEB_LEAD_SESSION_MULT = 3.0  # sessions in a moment's lead-in
WEB_AFTER_SESSION_MULT = 1.5  # and after it
WEB_DRIFT_SESSION_MULT = 0.5  # sliding towards churn
WEB_LEAD_DEPT_BOOST = 8.0  # weight in a lead-in's browsing of the departments bought after the moment
WEB_LEAD_SIGNAL_BOOST = 2.5  # ... and of the departments of the moment's signal categories
WEB_AFTER_DEPT_BOOST = 3.0
WEB_FOCUS_P = 0.8  # pages of a session in its focus department
# Devices per person (1, 2, 3) and how their sessions split; cookie lifetimes (resets) in days.
WEB_DEVICES_P = np.array([0.40, 0.40, 0.20])
WEB_DEVICE_USE = np.array([0.60, 0.30, 0.10])
WEB_COOKIE_DAYS = np.array([30, 90, 180, 400])
WEB_COOKIE_DAYS_P = np.array([0.15, 0.30, 0.30, 0.25])
WEB_SHARED_PAIR_P = 0.06  # pairs of persons (same business unit) sharing a home computer
WEB_SHARED_USE_P = 0.4  # of the second person's sessions made on the shared computer
WEB_PROSPECTS_PER_CUSTOMER = 0.5  # anonymous visitors who never become customers
WEB_BOTS_PER_CUSTOMER = 1 / 4000  # at least WEB_MIN_BOTS
WEB_MIN_BOTS = 3
WEB_BOT_EVENTS = (2_000, 12_000)
# Arrival (utm_medium) of a session: direct (no UTM), cpc, social, referral, display; e-mail
# arrivals are the e-mail tool's clicks. Tilted by the person's acquisition channel.
WEB_ARRIVAL_P = np.array([0.45, 0.25, 0.12, 0.08, 0.10])
WEB_PROSPECT_ARRIVAL_P = np.array([0.25, 0.35, 0.20, 0.08, 0.12])
WEB_EXPAND_SESSIONS = 250_000  # sessions expanded into events at a time (memory)
WEB_FORMAT_BATCH = 500_000  # events turned into text at a time (memory)
WEB_GZIP_LEVEL = 3  # 2.7x faster than 6 for files 28 % bigger
