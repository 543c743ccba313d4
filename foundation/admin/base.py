"""Shared ModelAdmin bases: Unfold's look, simple-history's audit, import-export's files."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import (
    FieldDoesNotExist,
    ImproperlyConfigured,
    PermissionDenied,
    ValidationError,
)
from django.db.models.constants import LOOKUP_SEP
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import reverse
from import_export.admin import ExportMixin, ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.contrib.import_export.forms import ExportForm, ImportForm

from foundation.admin.cells import row_checkbox
from foundation.admin.exports import StreamedXLSXExportMixin
from foundation.admin.paginator import MAX_ROWS, CappedCountPaginator, KeysFirstChangeList
from foundation.formats import BoundedCSV, BoundedXLSX
from foundation.history import ReadableChanges
from foundation.previews import PreviewExpired, PreviewStorage, preview_owner, saved_preview
from foundation.resources import error_summary, format_errors, unreadable_file_message
from foundation.text import ascii_digits

# Comparisons a list filter makes; pattern lookups (regex, contains…) are never accepted.
SAFE_LOOKUPS = {"exact", "iexact", "in", "isnull", "gt", "gte", "lt", "lte", "range", "date"}


class BaseAdmin(UnfoldModelAdmin):
    """Unfold ModelAdmin with the project's list defaults."""

    list_filter_submit = True  # Unfold's range and text filters only apply on submit
    list_per_page = 50
    warn_unsaved_form = True
    paginator = CappedCountPaginator
    show_full_result_count = False
    # Unfold's list template asks every row for these (expandable row sections). Missing,
    # each failed lookup makes Django's template engine run dir() on the admin to tell a
    # missing attribute from a failing property: about 10 ms per page of 50 rows.
    list_sections = ()
    list_sections_classes = ""

    def action_checkbox(self, obj) -> str:
        # Unfold renders the checkbox widget's templates again for every row.
        return row_checkbox(obj.pk)

    vars(action_checkbox).update(vars(UnfoldModelAdmin.action_checkbox))  # its description

    def get_changelist(self, request: HttpRequest, **kwargs):
        return KeysFirstChangeList

    def lookup_allowed(self, lookup: str, value, request=None) -> bool:
        """Accept in the address only the lookups the list's own filters make.

        Django's admin accepts any lookup on a local field (``?name__regex=[``), which
        reaches the database as it is. Here a field may be filtered only if a list filter
        offers it, and only by comparison (exact, in, a range…), never by pattern.
        """
        parts = lookup.split(LOOKUP_SEP)
        try:
            self.model._meta.get_field(parts[0])
        except FieldDoesNotExist:
            return super().lookup_allowed(lookup, value, request)  # a filter's own parameter
        kind = parts[-1] if len(parts) > 1 else "exact"
        if kind not in SAFE_LOOKUPS or parts[0] not in self._filtered_fields(request):
            return False
        return super().lookup_allowed(lookup, value, request)

    def _filtered_fields(self, request) -> set[str]:
        names = {self.date_hierarchy} if self.date_hierarchy else set()
        for item in self.get_list_filter(request):
            if isinstance(item, (list, tuple)):
                names.add(item[0].split(LOOKUP_SEP)[0])
            elif isinstance(item, str):
                names.add(item.split(LOOKUP_SEP)[0])
            elif getattr(item, "parameter_name", None):
                names.add(item.parameter_name.split(LOOKUP_SEP)[0])
        return names

    def response_action(self, request: HttpRequest, queryset):
        # Keys from the form must be keys: "abc" for an integer key is refused, not a 500.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        try:
            [self.model._meta.pk.to_python(key) for key in selected]
        except ValidationError:
            messages.error(request, "The selection was not valid. Nothing was changed.")
            return None
        # "Select all" names the capped count; never act on more rows than it says. Read
        # select_across as Django's action form does: any value but "", "0", "false" is on.
        select_across = forms.BooleanField(required=False).to_python(
            request.POST.get("select_across")
        )
        if select_across and (queryset.order_by().values("pk")[: MAX_ROWS + 1].count() > MAX_ROWS):
            messages.error(
                request,
                f"Actions apply to at most {MAX_ROWS:,} rows at once. "
                "Narrow the list with filters or search first. Nothing was changed.",
            )
            return None
        return super().response_action(request, queryset)


class HistoryAdmin(SimpleHistoryAdmin, BaseAdmin):
    """An admin with a history page whose revert needs the change permission."""

    # Reverting an object is an edit; admins that must never revert say so here.
    history_revert_allowed = True

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record):
        # Status labels, names of related rows, amounts with money(): not raw values.
        return ReadableChanges(self.model, historical_record)

    def revert_disabled(self, request: HttpRequest, obj=None) -> bool:
        if not self.history_revert_allowed or not self.has_change_permission(request, obj):
            return True
        return super().revert_disabled(request, obj)

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        # simple-history filters the history by the id as typed: /order/abc/history/ was a
        # 500 (an integer field given "abc"); an id that cannot be a key is no object at all.
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        if not ascii_digits(version_id):
            raise Http404  # a version is a number; anything else is no version at all
        # simple-history lets anybody with the view permission POST a revert.
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if obj is None or self.revert_disabled(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class _ExportModelAdmin(StreamedXLSXExportMixin, ExportMixin, admin.ModelAdmin):
    """ExportMixin placed before ModelAdmin in the MRO, as ImportExportModelAdmin is;
    XLSX streamed."""

    def get_export_resource_classes(self, request):
        # The library's automatic resource would skip our formula escaping.
        if not self.resource_classes:
            raise ImproperlyConfigured(f"{type(self).__name__} must name its resource_classes.")
        return super().get_export_resource_classes(request)


class ExportAdmin(BaseAdmin, _ExportModelAdmin):
    """Admin (without history) that exports the filtered changelist (view permission)."""

    export_form_class = ExportForm
    export_formats = [CSV, XLSX]


class SizeLimitedImportForm(ImportForm):
    """Unfold's import form, refusing files over IMPORT_MAX_FILE_SIZE before reading them."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.IMPORT_MAX_FILE_SIZE
        if upload.size > limit:
            raise ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MiB; imports are limited to "
                f"{limit / 1024 / 1024:g} MiB (setting IMPORT_MAX_FILE_SIZE). Split the file."
            )
        return upload


class BackofficeAdmin(StreamedXLSXExportMixin, HistoryAdmin, ImportExportModelAdmin):
    """History admin with import (add and change permission) and export (view permission,
    XLSX streamed)."""

    import_form_class = SizeLimitedImportForm
    export_form_class = ExportForm
    import_formats = [BoundedCSV, BoundedXLSX]  # limits of columns, rows and unpacked size
    export_formats = [CSV, XLSX]

    def add_data_read_fail_error_to_form(self, form, error) -> None:
        form.add_error("import_file", unreadable_file_message(error))

    # The file between preview and confirm (foundation.previews) ------------------------

    def import_action(self, request: HttpRequest, **kwargs) -> HttpResponse:
        owner = preview_owner.set(request.user.pk)
        saved = saved_preview.set(None)
        try:
            response = super().import_action(request, **kwargs)
            name = saved_preview.get()
        finally:
            preview_owner.reset(owner)
            saved_preview.reset(saved)
        context = getattr(response, "context_data", None) or {}
        result = context.get("result")
        if name and "confirm_form" not in context:
            PreviewStorage(name=name).remove()  # a refused preview keeps nothing
        elif name and result is not None:
            # What the preview compared the file with: the confirm imports only if the
            # rows still hold it, so what it writes is what the preview showed.
            PreviewStorage(name=name).remember(state=getattr(result, "preview_state", None))
        if result is not None and result.has_validation_errors():
            context["error_summary"] = error_summary(result)  # bounded, whatever the file
        return response

    def write_to_tmp_storage(self, import_file, input_format) -> PreviewStorage:
        # The library joins the upload's chunks with +=, copying the file once per chunk.
        storage = PreviewStorage(read_mode=input_format.get_read_mode())
        storage.save(b"".join(import_file.chunks()))
        return storage

    def process_import(self, request: HttpRequest, **kwargs) -> HttpResponse:
        """Import the previewed file for good: only once, and only while it is kept."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_import_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        import_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_import")
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            messages.error(request, "The confirmation was incomplete. Nothing was imported.")
            return HttpResponseRedirect(import_url)
        input_format = self.get_import_formats()[int(confirm_form.cleaned_data["format"])](
            encoding=self.from_encoding
        )
        storage = PreviewStorage(name=confirm_form.cleaned_data["import_file_name"])
        try:
            data = storage.claim()  # a second click finds nothing
        except PreviewExpired as expired:
            messages.error(request, str(expired))
            return HttpResponseRedirect(import_url)
        finally:
            storage.remove()
        try:
            dataset = input_format.create_dataset(data)
        except Exception as error:  # the preview read it; only a changed format lands here
            messages.error(request, f"{unreadable_file_message(error)} Nothing was imported.")
            return HttpResponseRedirect(import_url)
        state = storage.manifest.get("state")
        result = self.process_dataset(dataset, confirm_form, request, preview_state=state, **kwargs)
        return self.process_result(result, request)

    def process_result(self, result, request: HttpRequest) -> HttpResponse:
        # The confirm step imports the file again; if something changed since the preview
        # (a category deleted, a SKU taken) it is rolled back, and must not say "finished".
        if result.has_errors() or result.has_validation_errors():
            for line in format_errors(result, limit=20):
                messages.error(request, line)
            messages.error(request, "Nothing was imported. Correct the file and import it again.")
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)

    def has_import_permission(self, request: HttpRequest) -> bool:
        # An import both creates and updates rows, so it needs both permissions.
        opts = self.opts
        return all(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(op, opts)}")
            for op in ("add", "change")
        )


class HistoryExportAdmin(HistoryAdmin, _ExportModelAdmin):
    """History admin that exports (view permission) but never imports."""

    export_form_class = ExportForm
    export_formats = [CSV, XLSX]


class ReadOnlyInlineMixin:
    """An inline that only shows rows: nobody adds, changes or deletes through it."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
