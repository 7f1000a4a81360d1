from typing import List

from pydantic import BaseModel


class Item(BaseModel):
    id: int
    sku: str
    name: str
    warehouse: str
    quantity: int
    price_cents: int


class WarehouseStock(BaseModel):
    warehouse: str
    items: int
    quantity: int
    value_cents: int


class Summary(BaseModel):
    warehouses: List[WarehouseStock]
    low_stock: List[Item]
