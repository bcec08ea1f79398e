"""The bank file template form: the file's settings, and for each catalogue column a checkbox, an
order number and the header the bank expects (no script needed)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FormField, IntegerField, SelectField, StringField
from wtforms import Form as PlainForm
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.payments.bank_template_services import TemplateSpec
from app.payments.bank_templates import (
    CATALOGUE,
    COLUMNS,
    DEFAULT_COLUMNS,
    ENCODINGS,
    FORMATS,
    HEADER_MAX,
    BankFileTemplate,
)


class ColumnForm(PlainForm):
    chosen = BooleanField(_l("In the file"))
    order = IntegerField(_l("Order"), validators=[Optional(), NumberRange(min=1, max=99)])
    header = StringField(_l("Header"), validators=[Length(max=HEADER_MAX)])


class ColumnField(FormField):
    """A catalogue column's subform; its errors as a flat list (the page's error summary lists texts)."""

    @property
    def errors(self):
        return [e for errors in self.form.errors.values() for e in errors]


class TemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    bank = SelectField(_l("For the bank"), coerce=int, choices=[], validate_choice=True)
    file_format = SelectField(_l("File format"), choices=list(FORMATS.items()), validate_choice=True)
    encoding = SelectField(_l("Encoding (CSV)"), choices=list(ENCODINGS.items()), validate_choice=True)
    header_row = BooleanField(_l("Write a header row"))
    totals_row = BooleanField(_l("Write a totals row at the end"))
    totals_label = StringField(_l("Label of the totals row"), validators=[Length(max=HEADER_MAX)])
    is_default = BooleanField(_l("The default template (used when none is chosen)"))

    def fill(self, template: BankFileTemplate | None) -> None:
        """Set the fields from a template (or a new one's starting point) on a first GET."""
        columns = template.columns if template else [{"key": k, "header": COLUMNS[k].header} for k in DEFAULT_COLUMNS]
        chosen = {c["key"]: (i, c["header"]) for i, c in enumerate(columns, 1)}  # a new one starts as the default
        if template is not None:
            self.name.data, self.bank.data = template.name, template.bank_id or 0
            self.file_format.data, self.encoding.data = template.file_format, template.encoding
            self.header_row.data, self.totals_row.data = template.header_row, template.totals_row
            self.totals_label.data, self.is_default.data = template.totals_label, template.is_default
        else:
            self.header_row.data, self.totals_label.data = True, "合计"
        after = len(chosen)
        for column, sub in self.rows():
            order, header = chosen.get(column.key, (None, column.header))
            if order is None:
                after += 1
            sub.chosen.data = column.key in chosen
            sub.order.data, sub.header.data = order or after, header

    def rows(self) -> list:
        """(catalogue column, its subform), in the catalogue's order."""
        return [(column, getattr(self, column_field(column.key)).form) for column in CATALOGUE]

    def spec(self) -> TemplateSpec:
        picked = [
            (form.order.data or 99, i, column.key, form.header.data)
            for i, (column, form) in enumerate(self.rows())
            if form.chosen.data
        ]
        return TemplateSpec(
            name=self.name.data or "",
            columns=[(key, header) for _order, _i, key, header in sorted(picked)],
            file_format=self.file_format.data,
            encoding=self.encoding.data,
            header_row=self.header_row.data,
            totals_row=self.totals_row.data,
            totals_label=self.totals_label.data or "",
            is_default=self.is_default.data,
            bank_id=self.bank.data or None,
        )


def column_field(key: str) -> str:
    return f"col_{key}"


for _column in CATALOGUE:  # a subform per catalogue column: col_amount-chosen, col_amount-order, …
    setattr(TemplateForm, column_field(_column.key), ColumnField(ColumnForm, label=_column.label))
