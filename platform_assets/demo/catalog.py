"""Product catalogue (departments > categories > SKUs, prices per country) and the store master.

The catalogue size does not depend on the number of customers, only on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np
import polars as pl

from platform_assets.demo import config as cfg
from platform_assets.demo.reference import CITIES
from platform_assets.demo.timeline import Calendar, stream
from platform_assets.demo.writers import iso_date, money

# fmt: off
# department -> categories as (name, median list price in EUR, extra-quantity Poisson mean, nouns)
DEPARTMENTS: tuple[tuple[str, tuple[tuple[str, float, float, tuple[str, ...]], ...]], ...] = (
    ("Garden & outdoor", (
        ("Garden tools", 25, 0.3, ("Spade", "Rake", "Pruning shears", "Hoe")),
        ("Seeds & plants", 6, 1.5, ("Tomato seeds", "Lawn seed", "Rose bush", "Herb kit")),
        ("Garden furniture", 180, 0.3, ("Garden table", "Lounger", "Parasol", "Bench")),
        ("Barbecues", 220, 0.05, ("Gas barbecue", "Charcoal grill", "Plancha")),
        ("Watering", 30, 0.3, ("Garden hose", "Sprinkler", "Water butt")),
        ("Fencing & decking", 45, 3.0, ("Fence panel", "Decking board", "Trellis")),
    )),
    ("Paint & decoration", (
        ("Interior paint", 38, 0.7, ("Matt emulsion", "Satin paint", "Ceiling white")),
        ("Exterior paint", 48, 0.5, ("Masonry paint", "Wood stain", "Metal paint")),
        ("Wallpaper", 22, 1.5, ("Wallpaper roll", "Wallpaper paste", "Border")),
        ("Painting tools", 12, 0.6, ("Roller kit", "Brush set", "Masking tape")),
        ("Paint testers & samples", 5, 1.0, ("Tester pot", "Colour card", "Sample pot")),
    )),
    ("Flooring", (
        ("Laminate", 20, 6.0, ("Laminate pack", "Oak laminate", "Click laminate")),
        ("Tiles", 25, 8.0, ("Floor tile", "Wall tile", "Mosaic sheet")),
        ("Vinyl & carpet", 16, 5.0, ("Vinyl roll", "Carpet tile", "Rug")),
        ("Flooring accessories", 12, 0.8, ("Underlay", "Skirting board", "Threshold bar")),
    )),
    ("Kitchen", (
        ("Kitchen units", 240, 1.5, ("Base unit", "Wall unit", "Tall unit")),
        ("Worktops", 170, 0.3, ("Oak worktop", "Laminate worktop", "Quartz worktop")),
        ("Sinks & taps", 120, 0.1, ("Kitchen sink", "Mixer tap", "Waste kit")),
        ("Kitchen appliances", 380, 0.1, ("Built-in oven", "Cooker hood", "Induction hob")),
    )),
    ("Bathroom", (
        ("Bathroom furniture", 280, 0.2, ("Vanity unit", "Mirror cabinet", "Column unit")),
        ("Showers", 320, 0.1, ("Shower enclosure", "Shower column", "Shower tray")),
        ("Toilets", 190, 0.05, ("Close-coupled toilet", "Wall-hung WC", "Toilet seat")),
        ("Bathroom taps", 85, 0.2, ("Basin tap", "Bath mixer", "Thermostatic valve")),
        ("Bathroom accessories", 18, 0.6, ("Towel rail", "Soap dispenser", "Bath mat")),
    )),
    ("Lighting & electrical", (
        ("Ceiling lights", 55, 0.4, ("Pendant light", "Ceiling spot", "Flush light")),
        ("Lamps", 42, 0.3, ("Floor lamp", "Table lamp", "Desk lamp")),
        ("Light bulbs", 6, 1.5, ("LED bulb", "GU10 bulb", "Filament bulb")),
        ("Switches & sockets", 8, 1.5, ("Double socket", "Light switch", "Dimmer")),
        ("Cables & wiring", 16, 0.5, ("Cable reel", "Extension lead", "Junction box")),
    )),
    ("Tools & hardware", (
        ("Power tools", 95, 0.05, ("Cordless drill", "Jigsaw", "Orbital sander", "Angle grinder")),
        ("Hand tools", 16, 0.4, ("Hammer", "Screwdriver set", "Utility knife", "Saw")),
        ("Measuring & levelling", 18, 0.2, ("Tape measure", "Spirit level", "Laser measure")),
        ("Fixings & screws", 5, 1.5, ("Wood screws", "Wall plugs", "Hinges")),
        ("Ladders", 85, 0.05, ("Step ladder", "Extension ladder", "Work platform")),
    )),
    ("Storage & organisation", (
        ("Storage boxes", 10, 1.5, ("Storage box", "Crate", "Vacuum bag")),
        ("Moving boxes & tape", 8, 2.0, ("Moving box", "Packing tape", "Bubble wrap")),
        ("Shelving", 55, 0.5, ("Shelf unit", "Wall shelf", "Garage rack")),
        ("Wardrobes", 190, 0.1, ("Wardrobe", "Sliding door", "Clothes rail")),
        ("Cleaning supplies", 7, 1.0, ("Cleaner", "Mop", "Sponge pack")),
    )),
    ("Building materials", (
        ("Cement & aggregates", 8, 5.0, ("Cement bag", "Sand bag", "Ready mix")),
        ("Plasterboard", 9, 6.0, ("Plasterboard", "Plaster", "Metal stud")),
        ("Timber", 12, 5.0, ("Planed timber", "OSB board", "Plywood")),
        ("Insulation", 22, 4.0, ("Insulation roll", "Insulation board", "Draught excluder")),
    )),
    ("Plumbing & heating", (
        ("Pipes & fittings", 8, 2.0, ("Copper pipe", "PEX pipe", "Elbow fitting")),
        ("Radiators", 170, 0.3, ("Panel radiator", "Towel radiator", "Radiator valve")),
        ("Water heaters", 390, 0.0, ("Water heater", "Heat pump boiler")),
        ("Heating & stoves", 260, 0.05, ("Wood stove", "Electric heater", "Thermostat")),
    )),
)
# fmt: on
GARDEN, PAINT, FLOORING, KITCHEN, BATHROOM, LIGHTING, TOOLS, STORAGE, BUILDING, PLUMBING = range(10)

# What each life moment makes people buy (index order of config.MOMENTS).
MOMENT_AFTER_DEPTS = ((PAINT, FLOORING, LIGHTING, STORAGE), (KITCHEN, BATHROOM, PLUMBING), (GARDEN,))
MOMENT_LEAD_CATEGORIES = (
    ("Storage boxes", "Moving boxes & tape", "Cleaning supplies"),
    ("Hand tools", "Measuring & levelling", "Paint testers & samples", "Tiles"),
    ("Garden tools", "Seeds & plants"),
)
# Everyday share of each department in a basket (Dirichlet mean of people's preferences).
DEPT_POPULARITY = np.array([0.14, 0.12, 0.07, 0.05, 0.06, 0.10, 0.16, 0.09, 0.09, 0.12])

TIERS = ("entry", "standard", "premium")
TIER_PRICE = np.array([0.6, 1.0, 1.9])
N_SKUS = 2400
BRANDS = (
    ("Basix", "Eco+", "Primo"),
    ("Atelier", "Domus", "Verdo", "Handy"),
    ("Maison Pro", "Nordlicht", "Artisan Select", "Kraftwerk"),
)
DESCRIPTORS = ("Classic", "Plus", "Compact", "XL", "Eco", "Pro", "Essential", "Design", "Nordic", "Urban")
STORE_BRAND = "Atelier Maison"


def category_table() -> pl.DataFrame:
    """One row per category with its department index and sampling attributes."""
    rows = []
    for d, (_, cats) in enumerate(DEPARTMENTS):
        for k, (name, price, qty, _) in enumerate(cats):
            rows.append((f"D{d + 1:02d}C{k + 1:02d}", d, name, float(price), float(qty)))
    return pl.DataFrame(
        rows, schema=["category_id", "dept", "name", "median_eur", "qty_lambda"], orient="row"
    )


def categories_frame() -> pl.DataFrame:
    depts = pl.DataFrame(
        {
            "category_id": [f"D{d + 1:02d}" for d in range(len(DEPARTMENTS))],
            "parent_category_id": [None] * len(DEPARTMENTS),
            "category_name": [name for name, _ in DEPARTMENTS],
            "level": [1] * len(DEPARTMENTS),
        },
        schema_overrides={"parent_category_id": pl.String},
    )
    cats = category_table().select(
        "category_id",
        pl.col("category_id").str.slice(0, 3).alias("parent_category_id"),
        pl.col("name").alias("category_name"),
        pl.lit(2, dtype=pl.Int64).alias("level"),
    )
    return pl.concat([depts, cats]).sort("category_id")


def _price_round(cents: np.ndarray) -> np.ndarray:
    """Shelf prices end in .99; above 100 they end in 9.99."""
    units = np.maximum(cents / 100.0, 0.5)
    small = np.ceil(units) * 100 - 1
    large = np.ceil(units / 10) * 1000 - 1
    return np.where(units < 100, small, large).astype(np.int64)


@dataclass
class Catalog:
    sku: np.ndarray  # str, 8 digits
    cat: np.ndarray  # category index
    dept: np.ndarray
    tier: np.ndarray
    list_cents: np.ndarray  # [country, sku]
    cost_cents: np.ndarray  # [country, sku]
    launched_epoch_day: np.ndarray
    name: np.ndarray
    brand: np.ndarray
    # sampling structure: SKUs sorted by (category, tier, popularity desc)
    group_key: np.ndarray  # group + cumulative popularity within group, increasing
    group_first: np.ndarray  # first (most popular) SKU position of each group
    n_categories: int

    def sample(self, cat: np.ndarray, tier: np.ndarray, u: np.ndarray, epoch_day: np.ndarray) -> np.ndarray:
        """SKU position for each (category, tier, uniform draw); not-yet-launched -> group best seller."""
        group = cat.astype(np.int64) * 3 + tier
        pos = np.searchsorted(self.group_key, group + np.minimum(u, 1 - 1e-9), side="right")
        late = self.launched_epoch_day[pos] > epoch_day
        return np.where(late, self.group_first[group], pos)


def build_catalog(seed: int, cal: Calendar) -> Catalog:
    rng = stream(seed, 1)
    cats = category_table()
    n_cat = cats.height
    weights = rng.uniform(0.6, 1.6, n_cat)
    per_cat = np.maximum(np.floor(weights / weights.sum() * N_SKUS).astype(int), 12)
    cat = np.repeat(np.arange(n_cat), per_cat)
    n = cat.size
    # At least three SKUs per (category, tier) so every group can be sampled.
    tier = rng.choice(3, size=n, p=[0.35, 0.45, 0.20])
    ends = np.cumsum(per_cat)
    for j in range(9):
        tier[ends - 1 - j] = j % 3
    popularity = rng.pareto(1.2, n) + 0.05
    order = np.lexsort((-popularity, tier, cat))
    cat, tier, popularity = cat[order], tier[order], popularity[order]
    group = cat * 3 + tier
    group_total = np.bincount(group, weights=popularity, minlength=n_cat * 3)
    cum = np.cumsum(popularity) - np.concatenate([[0.0], np.cumsum(group_total)[:-1]])[group]
    within = cum / group_total[group]
    last = np.r_[group[1:] != group[:-1], True]
    within[last] = 1.0
    group_first = np.searchsorted(group, np.arange(n_cat * 3), side="left")

    skus = rng.choice(np.arange(10_000_000, 100_000_000, 7), size=n, replace=False)
    median = cats["median_eur"].to_numpy()[cat]
    eur_cents = median * TIER_PRICE[tier] * rng.lognormal(0.0, 0.45, n) * 100
    list_cents = np.stack([_price_round(eur_cents * fx) for fx in cfg.FX_PER_EUR])
    cost_ratio = rng.uniform(0.45, 0.75, n)
    cost_cents = np.round(list_cents * cost_ratio[None, :]).astype(np.int64)

    before = cal.start_epoch_day - rng.integers(60, 14 * 365, n)
    during = cal.start_epoch_day + rng.integers(0, max(cal.days - 60, 1), n)
    launched = np.where(rng.random(n) < 0.10, during, before)
    launched[group_first] = before[group_first]  # the fallback SKU of each group is always on sale

    brand_table = np.array([[b[i % len(b)] for i in range(4)] for b in BRANDS])
    brands = brand_table[tier, rng.integers(0, 4, n)]
    noun_table = np.array([[c[3][i % len(c[3])] for i in range(4)] for _, cs in DEPARTMENTS for c in cs])
    noun = noun_table[cat, rng.integers(0, 4, n)]
    desc = np.array(DESCRIPTORS)[rng.integers(0, len(DESCRIPTORS), n)]
    model = rng.integers(100, 1000, n).astype(str)
    name = reduce(np.char.add, [brands, " ", noun, " ", desc, " ", model])
    return Catalog(
        sku=skus.astype(str),
        cat=cat,
        dept=cats["dept"].to_numpy()[cat],
        tier=tier,
        list_cents=list_cents,
        cost_cents=cost_cents,
        launched_epoch_day=launched,
        name=name,
        brand=brands,
        group_key=group + within,
        group_first=group_first,
        n_categories=n_cat,
    )


def products_frame(catalog: Catalog) -> pl.DataFrame:
    cat_ids = category_table()["category_id"].to_numpy()
    return (
        pl.DataFrame(
            {
                "sku": catalog.sku,
                "product_name": catalog.name,
                "category_id": cat_ids[catalog.cat],
                "brand": catalog.brand,
                "price_tier": np.array(TIERS)[catalog.tier],
                "launched_on": catalog.launched_epoch_day,
            }
        )
        .with_columns(iso_date(pl.col("launched_on")).alias("launched_on"))
        .sort("sku")
    )


def prices_frame(catalog: Catalog) -> pl.DataFrame:
    frames = [
        pl.DataFrame(
            {
                "sku": catalog.sku,
                "country_code": code,
                "currency": cfg.CURRENCIES[c],
                "list_price": catalog.list_cents[c],
                "cost_price": catalog.cost_cents[c],
            }
        )
        for c, code in enumerate(cfg.COUNTRIES)
    ]
    return (
        pl.concat(frames)
        .with_columns(
            money(pl.col("list_price")).alias("list_price"), money(pl.col("cost_price")).alias("cost_price")
        )
        .sort("sku", "country_code")
    )


# --- Stores ---------------------------------------------------------------------------------


@dataclass
class Stores:
    code: np.ndarray  # physical stores first, then one web shop per country (index n_physical + c)
    country: np.ndarray
    city: np.ndarray  # index into reference.CITIES[country]
    surface: np.ndarray  # 0 for web shops
    registers: np.ndarray
    opened_epoch_day: np.ndarray
    n_physical: int

    def web(self, country: np.ndarray) -> np.ndarray:
        return self.n_physical + country

    def of_country(self, c: int) -> np.ndarray:
        return np.flatnonzero((self.country == c) & (self.surface > 0))


def store_counts(customers_per_country: np.ndarray) -> np.ndarray:
    raw = np.maximum(cfg.MIN_STORES, np.round(customers_per_country / cfg.CUSTOMERS_PER_STORE))
    return np.minimum(raw, cfg.STORE_CAP).astype(int)


def build_stores(seed: int, customers_per_country: np.ndarray, cal: Calendar) -> Stores:
    rng = stream(seed, 2)
    counts = store_counts(customers_per_country)
    code, country, city = [], [], []
    for c, n in enumerate(counts):
        n_cities = len(CITIES[c])
        # Biggest cities first; beyond the list, second stores in the same cities.
        code += [f"{cfg.COUNTRIES[c]}{k + 1:03d}" for k in range(n)]
        country += [c] * n
        city += [k % n_cities for k in range(n)]
    n_phys = len(code)
    code += [f"WEB-{cc}" for cc in cfg.COUNTRIES]
    country += [0, 1, 2]
    city += [0, 0, 0]
    surface = np.r_[rng.integers(25, 121, n_phys) * 100, np.zeros(3, dtype=int)]
    opened = np.r_[
        cal.start_epoch_day - rng.integers(365, 30 * 365, n_phys),
        cal.start_epoch_day - np.array([9, 6, 5]) * 365,
    ]
    return Stores(
        code=np.array(code),
        country=np.array(country),
        city=np.array(city),
        surface=surface,
        registers=np.maximum(surface // 1000, 2),
        opened_epoch_day=opened,
        n_physical=n_phys,
    )


def stores_frame(stores: Stores) -> pl.DataFrame:
    names, cities, postcodes = [], [], []
    seen: dict[tuple[int, int], int] = {}
    for code, c, k, surf in zip(stores.code, stores.country, stores.city, stores.surface, strict=True):
        city, seed_code = CITIES[c][k]
        if surf == 0:
            names.append(f"{STORE_BRAND} online {cfg.COUNTRIES[c]}")
            cities.append(None)
            postcodes.append(None)
            continue
        nth = seen.get((c, k), 0) + 1
        seen[(c, k)] = nth
        names.append(f"{STORE_BRAND} {city}" + (f" {nth}" if nth > 1 else ""))
        cities.append(city)
        postcodes.append(store_postcode(c, seed_code, int(code[-3:])))
    return (
        pl.DataFrame(
            {
                "store_code": stores.code,
                "store_name": names,
                "store_type": np.where(stores.surface > 0, "store", "web"),
                "country_code": np.array(cfg.COUNTRIES)[stores.country],
                "city": cities,
                "postcode": postcodes,
                "timezone": np.array(cfg.TIMEZONES)[stores.country],
                "currency": np.array(cfg.CURRENCIES)[stores.country],
                "opened_on": stores.opened_epoch_day,
                "surface_m2": stores.surface,
            },
        )
        .with_columns(
            iso_date(pl.col("opened_on")).alias("opened_on"),
            pl.when(pl.col("surface_m2") > 0).then(pl.col("surface_m2")).alias("surface_m2"),
        )
        .sort("store_code")
    )


def store_postcode(c: int, seed_code: str, k: int) -> str:
    if c == 0:
        return f"750{1 + k % 20:02d}" if seed_code.startswith("75") else seed_code
    if c == 1:
        return f"{seed_code}-{100 + (k * 37) % 900:03d}"
    return f"{seed_code} {1 + k % 9}{'ABDEFGHJ'[k % 8]}{'LNPQRSTU'[k % 8]}"
