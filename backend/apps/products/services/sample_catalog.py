"""A deterministic FreeSport catalog: the one source of truth for generated 1C data.

``generate_commerceml`` writes this catalog as a CommerceML 3.1 package and
``seed_legacy_catalog`` writes the very same catalog into the v13.3 schema, so the 1C ids,
SKUs, names, prices and stock match before and after the migration. Everything is derived
from ``(products, variants_per_product, seed)``: 1C GUIDs are ``uuid5`` of the seed and an
index, and every product draws from its own ``random.Random`` so product ``i`` is the same
whatever ``N`` is (a 200-product package is a prefix of a 20,000-product one).

Products are produced lazily (``iter_products``) so 100k SKUs never sit in memory at once.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

#: 1C price types of FreeSport, in the order the v13.3/v13.4 columns list them.
PRICE_FIELDS: tuple[str, ...] = (
    "retail_price",
    "opt1_price",
    "opt2_price",
    "opt3_price",
    "trainer_price",
    "federation_price",
)

#: The 20 basic colors of migration 0003 (name, hex).
BASIC_COLORS: tuple[tuple[str, str], ...] = (
    ("Белый", "#FFFFFF"), ("Черный", "#000000"), ("Красный", "#FF0000"), ("Синий", "#0000FF"),
    ("Зеленый", "#00FF00"), ("Желтый", "#FFFF00"), ("Серый", "#808080"), ("Розовый", "#FFC0CB"),
    ("Оранжевый", "#FFA500"), ("Фиолетовый", "#800080"), ("Коричневый", "#A52A2A"),
    ("Бежевый", "#F5F5DC"), ("Бордовый", "#800000"), ("Голубой", "#87CEEB"),
    ("Салатовый", "#7FFF00"), ("Сиреневый", "#C8A2C8"), ("Тёмно-синий", "#00008B"),
    ("Тёмно-серый", "#A9A9A9"), ("Светло-серый", "#D3D3D3"), ("Золотой", "#FFD700"),
)

#: Spellings as 1C operators type them: lower case, ё written as е. They must match the basic
#: colors (ColorMapping lookup ignores case and ё/е).
_BASIC_SPELLINGS: tuple[str, ...] = (
    "белый", "черный", "красный", "синий", "зеленый", "желтый", "серый", "розовый", "оранжевый",
    "Фиолетовый", "коричневый", "бежевый", "бордовый", "голубой", "салатовый", "сиреневый",
    "темно-синий", "Тёмно-серый", "светло-серый", "золотой",
)
#: Colors that are not among the 20 basic ones (the import keeps them without a hex code).
EXTRA_COLORS: tuple[str, ...] = (
    "мятный", "хаки", "бирюзовый", "графитовый", "коралловый", "оливковый", "лимонный",
    "черный/красный", "белый/синий", "камуфляж",
)

PRICE_TYPES: tuple[tuple[str, str], ...] = (
    ("Розничная", "retail_price"),
    ("Оптовая 1", "opt1_price"),
    ("Оптовая 2", "opt2_price"),
    ("Оптовая 3", "opt3_price"),
    ("Тренерская", "trainer_price"),
    ("Федерация", "federation_price"),
)
_PRICE_FACTORS: tuple[Decimal, ...] = (
    Decimal("1"), Decimal("0.90"), Decimal("0.85"), Decimal("0.80"), Decimal("0.88"), Decimal("0.82"),
)

WAREHOUSES: tuple[str, ...] = ("Основной склад (Москва)", "Склад Екатеринбург")

BRANDS: tuple[str, ...] = (
    "Green Hill", "Adidas", "Nike", "Puma", "Atemi", "Torres", "Mikasa", "Molten", "Select",
    "Jögel", "Kelme", "Joma", "Asics", "Mizuno", "Wish", "Stiga", "Yonex", "Wilson", "Spalding",
    "Clinch", "Everlast", "Larsen", "Rusco Sport", "BoyBo",
)

SIZE_SCALES: dict[str, tuple[str, ...]] = {
    "clothes": ("XS", "S", "M", "L", "XL", "2XL", "3XL"),
    "shoes": tuple(str(s) for s in range(35, 47)),
    "kimono": ("А0 (XS)", "А1 (S)", "А2 (M)", "А3 (L)", "А4 (XL)", "А5 (2XL)", "А6 (3XL)"),
    "kids": ("110", "116", "122", "128", "134", "140", "146", "152"),
    "balls": ("3", "4", "5"),
    "gloves": ("6 oz", "8 oz", "10 oz", "12 oz", "14 oz", "16 oz"),
}

#: (top group, subgroup, leaf groups with (product kind, size scale)).
GROUP_TREE: tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]], ...] = (
    ("Единоборства", (
        ("Кимоно", (("Кимоно для дзюдо", "Кимоно для дзюдо", "kimono"),
                    ("Кимоно для карате", "Кимоно для карате", "kimono"),
                    ("Кимоно для самбо", "Куртка для самбо", "kimono"))),
        ("Экипировка для бокса", (("Перчатки боксерские", "Перчатки боксерские", "gloves"),
                                  ("Шлемы", "Шлем боксерский", "clothes"))),
    )),
    ("Игровые виды спорта", (
        ("Футбол", (("Мячи футбольные", "Мяч футбольный", "balls"),
                    ("Бутсы", "Бутсы футбольные", "shoes"))),
        ("Волейбол", (("Мячи волейбольные", "Мяч волейбольный", "balls"),
                      ("Наколенники", "Наколенники волейбольные", "clothes"))),
        ("Баскетбол", (("Мячи баскетбольные", "Мяч баскетбольный", "balls"),)),
    )),
    ("Одежда", (
        ("Мужская одежда", (("Футболки мужские", "Футболка мужская", "clothes"),
                            ("Костюмы спортивные", "Костюм спортивный", "clothes"))),
        ("Детская одежда", (("Футболки детские", "Футболка детская", "kids"),
                            ("Шорты детские", "Шорты детские", "kids"))),
    )),
    ("Обувь", (
        ("Кроссовки", (("Кроссовки беговые", "Кроссовки беговые", "shoes"),
                       ("Кроссовки для зала", "Кроссовки для зала", "shoes"))),
    )),
    ("Теннис", (
        ("Настольный теннис", (("Ракетки", "Ракетка для настольного тенниса", "balls"),)),
    )),
)

_MODELS: tuple[str, ...] = (
    "Олимп", "Профи", "Старт", "Чемпион", "Атлет", "Спринт", "Турнир", "Элит", "Юниор", "Классик",
    "Мастер", "Вектор", "Динамо", "Звезда", "Лидер", "Импульс", "Рекорд", "Кубок", "Арена", "Барс",
)
_MATERIALS: tuple[str, ...] = ("хлопок", "полиэстер", "натуральная кожа", "синтетическая кожа", "нейлон")


@dataclass(frozen=True, slots=True)
class Group:
    """A 1C group (category) of the classifier tree."""

    onec_id: str
    name: str
    parent_id: str | None
    kind: str | None = None  # product kind for leaf groups
    scale: str | None = None  # size scale for leaf groups


@dataclass(frozen=True, slots=True)
class Brand:
    """A value of the ``Бренд`` dictionary property."""

    value_id: str
    name: str


@dataclass(frozen=True, slots=True)
class PriceType:
    onec_id: str
    name: str
    field: str


@dataclass(frozen=True, slots=True)
class Warehouse:
    onec_id: str
    name: str


@dataclass(slots=True)
class Variant:
    """One 1C offer (``Предложение``) = one SKU."""

    guid: str
    offer_id: str  # "productGuid#variantGuid"
    sku: str
    name: str  # the offer name as 1C writes it: "<product>, <color> (<size>)"
    color: str
    size: str
    prices: dict[str, Decimal | None]
    stocks: tuple[int, ...]  # per warehouse, in WAREHOUSES order
    deleted: bool = False
    encoding: str = "properties"  # how the generator writes color/size: properties|characteristics|name

    @property
    def stock(self) -> int:
        return sum(self.stocks)


@dataclass(slots=True)
class Product:
    """One 1C good (``Товар``); ``variants`` is empty for a product without offers."""

    index: int
    guid: str
    article: str
    name: str
    description: str
    group: Group
    brand: Brand
    material: str
    images: list[str]
    deleted: bool
    variants: list[Variant] = field(default_factory=list)
    #: price and stock of a product without offers: none (1C sends no offer for it)
    prices: dict[str, Decimal | None] = field(default_factory=dict)
    stocks: tuple[int, ...] = ()


def _uuid(seed: int, *parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "freesport-sample:" + ":".join(str(p) for p in (seed, *parts))))


class SampleCatalog:
    """The catalog for ``(products, variants_per_product, seed)``; see the module docstring."""

    #: share of products that have no offers (they get a default variant on import)
    NO_OFFERS_RATE = 0.05
    #: share of products marked deleted in 1C
    DELETED_PRODUCT_RATE = 0.01
    #: share of offers marked deleted in 1C
    DELETED_OFFER_RATE = 0.005

    def __init__(self, products: int, variants_per_product: int = 3, seed: int = 42) -> None:
        if products < 1 or variants_per_product < 1:
            raise ValueError("products and variants_per_product must be >= 1")
        self.n_products = products
        self.k = variants_per_product
        self.seed = seed
        self.classifier_id = _uuid(seed, "classifier")
        self.catalog_id = self.classifier_id
        self.groups: list[Group] = self._build_groups()
        self.leaf_groups: list[Group] = [g for g in self.groups if g.kind is not None]
        self.brands: list[Brand] = [Brand(_uuid(seed, "brand", i), n) for i, n in enumerate(BRANDS)]
        self.price_types: list[PriceType] = [
            PriceType(_uuid(seed, "price-type", f), n, f) for n, f in PRICE_TYPES
        ]
        self.warehouses: list[Warehouse] = [Warehouse(_uuid(seed, "warehouse", i), n) for i, n in enumerate(WAREHOUSES)]
        self.brand_property_id = _uuid(seed, "property", "brand")
        self.material_property_id = _uuid(seed, "property", "material")
        self.size_property_id = _uuid(seed, "property", "size")
        self.color_property_id = _uuid(seed, "property", "color")

    def _build_groups(self) -> list[Group]:
        groups: list[Group] = []
        for top_name, subs in GROUP_TREE:
            top = Group(_uuid(self.seed, "group", top_name), top_name, None)
            groups.append(top)
            for sub_name, leaves in subs:
                sub = Group(_uuid(self.seed, "group", top_name, sub_name), sub_name, top.onec_id)
                groups.append(sub)
                for leaf_name, kind, scale in leaves:
                    groups.append(
                        Group(_uuid(self.seed, "group", top_name, sub_name, leaf_name), leaf_name, sub.onec_id, kind, scale)
                    )
        return groups

    # -- products -------------------------------------------------------------------------
    def product(self, i: int) -> Product:
        """Product ``i`` (0-based); independent of ``N`` so packages of different sizes agree."""
        rng = random.Random(self.seed * 1_000_003 + i)
        group = self.leaf_groups[rng.randrange(len(self.leaf_groups))]
        brand = self.brands[rng.randrange(len(self.brands))]
        model = f"{_MODELS[rng.randrange(len(_MODELS))]} {rng.randint(1, 999):03d}"
        name = f"{group.kind} {brand.name} {model}"
        article = f"FS-{self.seed % 1000:03d}-{i + 1:06d}"
        guid = _uuid(self.seed, "product", i)
        material = _MATERIALS[rng.randrange(len(_MATERIALS))]
        n_images = rng.randint(0, 3)
        images = [f"import_files/{guid[:2]}/{guid}_{j}.jpg" for j in range(n_images)]
        description = (
            f"{name}. Материал: {material}. Официальная продукция {brand.name}, гарантия производителя."
            if rng.random() > 0.1
            else ""
        )
        deleted = rng.random() < self.DELETED_PRODUCT_RATE
        product = Product(i, guid, article, name, description, group, brand, material, images, deleted)
        base = Decimal(rng.randint(50, 1500) * 10)
        if rng.random() < self.NO_OFFERS_RATE:
            # 1C sends neither price nor stock for it: the default variant has none
            product.prices = dict.fromkeys(PRICE_FIELDS)
            product.stocks = tuple(0 for _ in self.warehouses)
            return product
        scale = SIZE_SCALES[group.scale or "clothes"]
        palette = _BASIC_SPELLINGS + EXTRA_COLORS
        n_colors = max(1, math.ceil(self.k / len(scale))) + rng.randint(0, 1)
        colors = rng.sample(palette, min(n_colors, len(palette)))
        combos = [(c, s) for c in colors for s in scale]
        rng.shuffle(combos)
        chosen = combos[: self.k]
        chosen.sort(key=lambda cs: (colors.index(cs[0]), scale.index(cs[1])))
        for j, (color, size) in enumerate(chosen):
            vguid = _uuid(self.seed, "variant", i, j)
            encoding_draw = rng.random()
            encoding = "properties" if encoding_draw < 0.7 else ("name" if encoding_draw < 0.9 else "characteristics")
            product.variants.append(
                Variant(
                    guid=vguid,
                    offer_id=f"{guid}#{vguid}",
                    sku=f"{article}-{j + 1:02d}",
                    name=f"{name}, {color} ({size})",
                    color=color,
                    size=size,
                    prices=self._prices(rng, base + Decimal(rng.randint(0, 3) * 50)),
                    stocks=tuple(rng.choice((0, 0, 1, 2, 3, 5, 8, 12, 20, 35)) for _ in self.warehouses),
                    deleted=rng.random() < self.DELETED_OFFER_RATE,
                    encoding=encoding,
                )
            )
        return product

    @staticmethod
    def _prices(rng: random.Random, retail: Decimal) -> dict[str, Decimal | None]:
        prices: dict[str, Decimal | None] = {}
        for f, factor in zip(PRICE_FIELDS, _PRICE_FACTORS, strict=True):
            prices[f] = (retail * factor).quantize(Decimal("1.00"))
        if rng.random() < 0.2:  # not every SKU has a federation price
            prices["federation_price"] = None
        return prices

    def iter_products(self) -> Iterator[Product]:
        for i in range(self.n_products):
            yield self.product(i)

    # -- what an importer must produce (used by tests and the gate's expectations) -----------
    def expected_counts(self) -> dict[str, int]:
        """What a full import of this catalog must produce (the importer's and the gate's rules).

        ``variants`` counts rows: every offer + one default variant per good without offers or
        active good whose offers are all deleted; ``active_variants`` counts active variants of
        active products."""
        products = variants = deleted = offers = without = active_products = active_variants = 0
        for p in self.iter_products():
            products += 1
            deleted += p.deleted
            active_products += not p.deleted
            live = [v for v in p.variants if not v.deleted]
            offers += len(p.variants)
            variants += len(p.variants)
            if not p.variants:
                without += 1
            if not p.variants or (not p.deleted and not live):
                variants += 1  # the default variant
            if not p.deleted:
                active_variants += len(live) or 1
        return {
            "products": products,
            "active_products": active_products,
            "variants": variants,
            "active_variants": active_variants,
            "offers": offers,
            "deleted_products": deleted,
            "products_without_offers": without,
            "groups": len(self.groups),
        }
