"""A changelist paginator whose cost does not grow with the table.

Counting a million rows on every page view is most of a large list's time. Instead:
an exact count, but stopping at ``MAX_ROWS`` + 1; lists longer than that page through
their first ``MAX_ROWS`` rows (filters and search narrow them) and show the total as
PostgreSQL's planner estimate ("about 1,000,000") when unfiltered, or "more than
10,000" when filtered.
"""

from urllib.parse import quote as url_quote

from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import RFC3986_SUBDELIMS

MAX_ROWS = 10_000


class CappedCountPaginator(Paginator):
    template_name = "admin/foundation/pagination.html"
    max_rows = MAX_ROWS

    @cached_property
    def exact_count(self) -> int:
        """The number of rows, counted up to ``max_rows`` + 1 at most."""
        queryset = self.object_list
        return queryset.order_by().values("pk")[: self.max_rows + 1].count()

    @property
    def max_rows_display(self) -> str:
        return f"{self.max_rows:,}"

    @property
    def capped(self) -> bool:
        return self.exact_count > self.max_rows

    @cached_property
    def count(self) -> int:
        return min(self.exact_count, self.max_rows)

    @cached_property
    def display_count(self) -> str:
        # Asked for every unfiltered list, so the page's query count is the same at any size.
        estimate = self._estimate()
        if not self.capped:
            return f"{self.exact_count:,}"
        if estimate is not None:
            return f"about {estimate:,}"
        return f"more than {self.max_rows:,}"

    def _estimate(self) -> int | None:
        queryset = self.object_list
        if queryset.query.where or queryset.query.distinct:
            return None  # filtered: only the cap is known
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] > 0 else None


class KeysFirstChangeList(ChangeList):
    """Load a later page by its keys first, then only that page's rows.

    An OFFSET makes the database compute and discard every skipped row, annotations and
    joins included; reading only the skipped rows' keys is an index-only scan.
    """

    is_dataset = False  # asked by Unfold's templates; missing, each lookup runs dir()

    @cached_property
    def _change_url(self) -> tuple[str, str]:
        marker = "0marker0"
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(marker,),
            current_app=self.model_admin.admin_site.name,
        )
        before, after = url.split(marker)
        return before, after

    def url_for_result(self, result) -> str:
        """Django's link to the row's page, reversed once per page instead of once per cell."""
        before, after = self._change_url
        key = str(quote(getattr(result, self.pk_attname)))
        # What reverse() does to an argument (django.urls.resolvers._reverse_with_prefix).
        return f"{before}{url_quote(key, safe=RFC3986_SUBDELIMS + '/~:@')}{after}"

    def get_results(self, request) -> None:
        super().get_results(request)
        page = self.result_list
        if not isinstance(page, QuerySet) or not page.query.low_mark:
            return
        low, high = page.query.low_mark, page.query.high_mark
        keys = list(self.queryset.values_list("pk", flat=True)[low:high])
        rows = {obj.pk: obj for obj in self.queryset.filter(pk__in=keys).order_by()}
        self.result_list = [rows[key] for key in keys if key in rows]
