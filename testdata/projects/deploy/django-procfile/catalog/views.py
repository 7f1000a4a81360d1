from django.db.models import Avg, Count, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Category, Product


def index(request):
    """The newest products and a summary of every category."""
    newest = Product.objects.select_related("category").order_by("-added")[:20]
    categories = Category.objects.annotate(
        n_products=Count("products"),
        avg_price=Avg("products__price_cents"),
        stock=Sum("products__stock"),
    ).order_by("-n_products")
    return render(request, "catalog/index.html", {"newest": newest, "categories": categories})


def category(request, pk):
    cat = get_object_or_404(Category, pk=pk)
    products = cat.products.order_by("price_cents")[:50]
    return render(request, "catalog/category.html", {"category": cat, "products": products})


def health(request):
    Category.objects.exists()
    return HttpResponse("ok")
