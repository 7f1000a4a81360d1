"""Seed rows: enough products that the index page's queries do real work."""
import random
from datetime import datetime, timedelta, timezone

from django.db import migrations

CATEGORIES = 20
PRODUCTS = 6000


def seed(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Product = apps.get_model("catalog", "Product")
    rnd = random.Random(1)
    Category.objects.bulk_create(Category(name=f"category {i:02d}") for i in range(CATEGORIES))
    # SQLite's bulk_create does not return primary keys (Django 3.2).
    cats = list(Category.objects.order_by("id"))
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    Product.objects.bulk_create(
        (
            Product(
                category=rnd.choice(cats),
                name=f"product {i:05d}",
                price_cents=rnd.randrange(100, 100000),
                stock=rnd.randrange(0, 500),
                added=start + timedelta(minutes=i),
            )
            for i in range(PRODUCTS)
        ),
        batch_size=1000,
    )


def unseed(apps, schema_editor):
    apps.get_model("catalog", "Category").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
