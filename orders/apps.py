from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders & customers"

    def ready(self) -> None:
        from orders import receivers  # noqa: F401  (connects the stock receivers)
