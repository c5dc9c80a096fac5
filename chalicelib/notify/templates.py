# ruff: noqa: RUF001  (translations: Cyrillic and Azerbaijani letters are meant)
"""Message templates in English, Russian, Azerbaijani and Bulgarian.

One subject and one short body per kind and locale: the body fits an SMS, a push banner
and a Telegram message; e-mail adds an HTML part and the unsubscribe footer. Times are
shown in the venue's zone (the ``timezone`` param), never the server's. Messages say only
what the recipient needs (SHARE-2): no contact data, no ids beyond what a link needs.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

LOCALES = ("en", "ru", "az", "bg")
DEFAULT_LOCALE = "en"


class TemplateError(Exception):
    """Unknown kind or a missing parameter: retrying cannot help (the message goes to the DLQ)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    locale: str


_T = dict[str, tuple[str, str]]  # kind -> (subject, body)

TEMPLATES: dict[str, _T] = {
    "en": {
        "otp": ("Your sign-in code", "Your sign-in code is {code}. Do not share it with anyone."),
        "booking.created": ("Booking received", "Booked: {service_name}{with_specialist} at {venue_name}, {when}."),
        "booking.confirmed": (
            "Booking confirmed",
            "Confirmed: {service_name}{with_specialist} at {venue_name}, {when}.",
        ),
        "booking.cancelled": ("Booking cancelled", "Cancelled: {service_name} at {venue_name}, {when}."),
        "booking.rescheduled": (
            "Booking moved",
            "Moved: {service_name} at {venue_name} is now on {when}.",
        ),
        "booking.reminder": ("Reminder", "Reminder: {service_name}{with_specialist} at {venue_name}, {when}."),
        "waitlist.offered": (
            "A slot opened",
            "A slot opened: {service_name} at {venue_name}, {when}. It is held for you for {hold_minutes} minutes.",
        ),
        "review.request": (
            "How was your visit?",
            "How was {service_name} at {venue_name}? Leave a review in the app.",
        ),
        "policy.change": (
            "Our privacy policy is changing",
            "Our privacy policy (version {policy_version}) changes on {effective_on}. Read it: {url}",
        ),
        "travel.reply": (
            "New reply to your travel request",
            "There is a new reply to your travel request. Open the app to read it.",
        ),
        "support.reply": (
            "A reply to your support request",
            "Our support team replied to your request. Open the app to read it.",
        ),
        "travel.quoted": (
            "New offer for your travel request",
            "You have a new offer for your travel request. Open the app to see it.",
        ),
        "travel.status": (
            "Travel request updated",
            "Your travel request is now: {status}.",
        ),
        # business webhooks (issue #18, item 5): an owner's notice
        "webhook.disabled": (
            "A webhook was switched off",
            "Your webhook to {host} failed for 24 hours and was switched off on {disabled_at}. "
            "Fix it and register it again.",
        ),
        "survey.invitation": (
            "A short survey about your visit",
            "Did {service_name} at {venue_name} go as booked? Two questions, no sign-in: {url}",
        ),
        "ticket.used": ("Ticket used", "Your ticket {product_name} was used at {place}, {when}."),
    },
    "ru": {
        "otp": ("Код для входа", "Код для входа: {code}. Никому его не сообщайте."),
        "booking.created": ("Запись создана", "Запись: {service_name}{with_specialist}, {venue_name}, {when}."),
        "booking.confirmed": (
            "Запись подтверждена",
            "Запись подтверждена: {service_name}{with_specialist}, {venue_name}, {when}.",
        ),
        "booking.cancelled": ("Запись отменена", "Запись отменена: {service_name}, {venue_name}, {when}."),
        "booking.rescheduled": (
            "Запись перенесена",
            "Запись перенесена: {service_name}, {venue_name}, новое время {when}.",
        ),
        "booking.reminder": (
            "Напоминание о записи",
            "Напоминаем: {service_name}{with_specialist}, {venue_name}, {when}.",
        ),
        "waitlist.offered": (
            "Освободилось время",
            "Освободилось время: {service_name}, {venue_name}, {when}. Оно закреплено за вами {hold_minutes} мин.",
        ),
        "review.request": (
            "Оцените визит",
            "Как прошёл визит ({service_name}, {venue_name})? Оставьте отзыв в приложении.",
        ),
        "policy.change": (
            "Изменение политики конфиденциальности",
            "Наша политика конфиденциальности (версия {policy_version}) изменится {effective_on}. Подробнее: {url}",
        ),
        "travel.reply": (
            "Новый ответ по заявке на поездку",
            "По вашей заявке на поездку есть новый ответ. Откройте приложение, чтобы прочитать его.",
        ),
        "support.reply": (
            "Ответ службы поддержки",
            "Служба поддержки ответила на ваше обращение. Откройте приложение, чтобы прочитать ответ.",
        ),
        "travel.quoted": (
            "Новое предложение по заявке",
            "По вашей заявке на поездку есть новое предложение. Откройте приложение.",
        ),
        "travel.status": (
            "Заявка на поездку обновлена",
            "Статус вашей заявки на поездку: {status}.",
        ),
        # business webhooks (issue #18, item 5): an owner's notice
        "webhook.disabled": (
            "Вебхук отключён",
            "Вебхук на {host} не отвечал 24 часа и отключён {disabled_at}. Исправьте его и зарегистрируйте снова.",
        ),
        "survey.invitation": (
            "Короткий опрос о визите",
            "Всё ли прошло как записано ({service_name}, {venue_name})? Два вопроса, без входа: {url}",
        ),
        "ticket.used": ("Билет использован", "Ваш билет {product_name} использован: {place}, {when}."),
    },
    "az": {
        "otp": ("Giriş kodu", "Giriş kodunuz: {code}. Onu heç kimə deməyin."),
        "booking.created": (
            "Rezervasiya qəbul edildi",
            "Rezervasiya: {service_name}{with_specialist}, {venue_name}, {when}.",
        ),
        "booking.confirmed": (
            "Rezervasiya təsdiqləndi",
            "Rezervasiya təsdiqləndi: {service_name}{with_specialist}, {venue_name}, {when}.",
        ),
        "booking.cancelled": (
            "Rezervasiya ləğv edildi",
            "Rezervasiya ləğv edildi: {service_name}, {venue_name}, {when}.",
        ),
        "booking.rescheduled": (
            "Rezervasiya köçürüldü",
            "Rezervasiya köçürüldü: {service_name}, {venue_name}, yeni vaxt {when}.",
        ),
        "booking.reminder": ("Xatırlatma", "Xatırlatma: {service_name}{with_specialist}, {venue_name}, {when}."),
        "waitlist.offered": (
            "Vaxt boşaldı",
            "Vaxt boşaldı: {service_name}, {venue_name}, {when}. {hold_minutes} dəqiqə sizin üçün saxlanılır.",
        ),
        "review.request": (
            "Ziyarətinizi qiymətləndirin",
            "{venue_name} ({service_name}) ziyarətiniz necə keçdi? Tətbiqdə rəy yazın.",
        ),
        "policy.change": (
            "Məxfilik siyasəti dəyişir",
            "Məxfilik siyasətimiz (versiya {policy_version}) {effective_on} tarixində dəyişir. Ətraflı: {url}",
        ),
        "travel.reply": (
            "Səyahət sorğunuza yeni cavab",
            "Səyahət sorğunuza yeni cavab var. Oxumaq üçün tətbiqi açın.",
        ),
        "support.reply": (
            "Dəstək xidmətinin cavabı",
            "Dəstək xidməti müraciətinizə cavab verdi. Oxumaq üçün tətbiqi açın.",
        ),
        "travel.quoted": (
            "Səyahət sorğunuza yeni təklif",
            "Səyahət sorğunuza yeni təklif var. Tətbiqi açın.",
        ),
        "travel.status": (
            "Səyahət sorğusu yeniləndi",
            "Səyahət sorğunuzun vəziyyəti: {status}.",
        ),
        # business webhooks (issue #18, item 5): an owner's notice
        "webhook.disabled": (
            "Vebhuk söndürüldü",
            "{host} ünvanına vebhuk 24 saat işləmədi və {disabled_at} tarixində söndürüldü. "
            "Düzəldin və yenidən qeydiyyatdan keçirin.",
        ),
        "survey.invitation": (
            "Ziyarətiniz haqqında qısa sorğu",
            "{venue_name} ({service_name}) ziyarətiniz rezervasiya kimi keçdi? İki sual, girişsiz: {url}",
        ),
        "ticket.used": ("Bilet istifadə edildi", "{product_name} biletiniz istifadə edildi: {place}, {when}."),
    },
    "bg": {
        "otp": ("Код за вход", "Вашият код за вход е {code}. Не го споделяйте с никого."),
        "booking.created": (
            "Резервацията е приета",
            "Резервация: {service_name}{with_specialist}, {venue_name}, {when}.",
        ),
        "booking.confirmed": (
            "Резервацията е потвърдена",
            "Резервацията е потвърдена: {service_name}{with_specialist}, {venue_name}, {when}.",
        ),
        "booking.cancelled": (
            "Резервацията е отменена",
            "Резервацията е отменена: {service_name}, {venue_name}, {when}.",
        ),
        "booking.rescheduled": (
            "Резервацията е преместена",
            "Резервацията е преместена: {service_name}, {venue_name}, нов час {when}.",
        ),
        "booking.reminder": ("Напомняне", "Напомняне: {service_name}{with_specialist}, {venue_name}, {when}."),
        "waitlist.offered": (
            "Освободи се час",
            "Освободи се час: {service_name}, {venue_name}, {when}. Запазен е за вас {hold_minutes} минути.",
        ),
        "review.request": (
            "Оценете посещението",
            "Как мина посещението ({service_name}, {venue_name})? Оставете отзив в приложението.",
        ),
        "policy.change": (
            "Промяна в политиката за поверителност",
            "Политиката ни за поверителност (версия {policy_version}) се променя на {effective_on}. Повече: {url}",
        ),
        "travel.reply": (
            "Нов отговор по заявката за пътуване",
            "Има нов отговор по заявката ви за пътуване. Отворете приложението, за да го прочетете.",
        ),
        "support.reply": (
            "Отговор от поддръжката",
            "Екипът по поддръжка отговори на запитването ви. Отворете приложението, за да го прочетете.",
        ),
        "travel.quoted": (
            "Ново предложение по заявката",
            "Има ново предложение по заявката ви за пътуване. Отворете приложението.",
        ),
        "travel.status": (
            "Заявката за пътуване е обновена",
            "Заявката ви за пътуване вече е: {status}.",
        ),
        # business webhooks (issue #18, item 5): an owner's notice
        "webhook.disabled": (
            "Уебхукът е изключен",
            "Уебхукът към {host} не отговаря от 24 часа и е изключен на {disabled_at}. "
            "Поправете го и го регистрирайте отново.",
        ),
        "survey.invitation": (
            "Кратка анкета за посещението",
            "Мина ли посещението както е записано ({service_name}, {venue_name})? Два въпроса, без вход: {url}",
        ),
        "ticket.used": ("Билетът е използван", "Билетът ви {product_name} е използван: {place}, {when}."),
    },
}

_WITH_SPECIALIST = {
    "en": " with {specialist_name}",
    "ru": ", мастер {specialist_name}",
    "az": ", mütəxəssis {specialist_name}",
    "bg": ", специалист {specialist_name}",
}
UNSUBSCRIBE_LABEL = {"en": "Unsubscribe", "ru": "Отписаться", "az": "Abunəlikdən çıxın", "bg": "Отписване"}
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def kinds() -> set[str]:
    return set(TEMPLATES[DEFAULT_LOCALE])


def pick_locale(locale: str | None) -> str:
    base = (locale or DEFAULT_LOCALE).split("-")[0].split("_")[0].lower()
    return base if base in TEMPLATES else DEFAULT_LOCALE


def local_time(start_iso: str, zone: str, locale: str) -> str:
    """The instant in the venue's zone: "24 Nov 2026, 11:00" (en) or "24.11.2026 11:00"."""
    try:
        local = datetime.fromisoformat(start_iso).astimezone(ZoneInfo(zone))
    except (ValueError, KeyError) as exc:
        raise TemplateError(f"bad start or zone: {exc}") from None
    if locale == "en":
        return f"{local.day} {_EN_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"
    return f"{local:%d.%m.%Y %H:%M}"


def render(kind: str, locale: str | None, params: dict[str, str]) -> Rendered:
    lang = pick_locale(locale)
    try:
        subject, body = TEMPLATES[lang][kind]
    except KeyError:
        raise TemplateError(f"no template for kind {kind!r}") from None
    values = dict(params)
    if "start" in values:
        values["when"] = local_time(values["start"], values.get("timezone", "UTC"), lang)
    specialist = values.get("specialist_name")
    values["with_specialist"] = _WITH_SPECIALIST[lang].format(specialist_name=specialist) if specialist else ""
    try:
        return Rendered(subject=subject.format_map(values), body=body.format_map(values), locale=lang)
    except (KeyError, IndexError) as exc:
        raise TemplateError(f"template {kind!r} needs parameter {exc}") from None


def email_parts(rendered: Rendered, unsubscribe_url: str | None) -> tuple[str, str]:
    """Plain-text and HTML bodies; both carry the unsubscribe link when there is one (NOTE-3)."""
    label = UNSUBSCRIBE_LABEL[rendered.locale]
    text = rendered.body
    body_html = f"<p>{html.escape(rendered.body)}</p>"
    if unsubscribe_url:
        text += f"\n\n{label}: {unsubscribe_url}"
        body_html += f'<p style="font-size:small"><a href="{html.escape(unsubscribe_url)}">{html.escape(label)}</a></p>'
    page = (
        f'<!doctype html><html lang="{rendered.locale}"><head><meta charset="utf-8">'
        f"<title>{html.escape(rendered.subject)}</title></head><body>{body_html}</body></html>"
    )
    return text, page


# --- wallet pushes (NOTE-4; docs/wallet.md): "top-up credited" and "payment made", for the
# wallet or for a card (named by its last 4 digits only); ``amount`` is formatted with the
# currency's minor digits ("1.50 AZN").
_WALLET_TEMPLATES: dict[str, _T] = {
    "en": {
        "wallet.top_up": ("Top-up credited", "{amount} was added to your wallet."),
        "wallet.top_up_card": ("Top-up credited", "{amount} was added to your card ending {last4}."),
        "wallet.payment": ("Payment made", "You paid {amount} from your wallet."),
        "wallet.payment_card": ("Payment made", "You paid {amount} with your card ending {last4}."),
    },
    "ru": {
        "wallet.top_up": ("Пополнение зачислено", "На кошелёк зачислено {amount}."),
        "wallet.top_up_card": ("Пополнение зачислено", "На карту *{last4} зачислено {amount}."),
        "wallet.payment": ("Оплата проведена", "С кошелька оплачено {amount}."),
        "wallet.payment_card": ("Оплата проведена", "Картой *{last4} оплачено {amount}."),
    },
    "az": {
        "wallet.top_up": ("Balans artırıldı", "Pul kisənizə {amount} əlavə edildi."),
        "wallet.top_up_card": ("Balans artırıldı", "*{last4} kartınıza {amount} əlavə edildi."),
        "wallet.payment": ("Ödəniş edildi", "Pul kisənizdən {amount} ödənildi."),
        "wallet.payment_card": ("Ödəniş edildi", "*{last4} kartınızla {amount} ödənildi."),
    },
    "bg": {
        "wallet.top_up": ("Зареждането е прието", "В портфейла ви бяха добавени {amount}."),
        "wallet.top_up_card": ("Зареждането е прието", "По картата ви *{last4} бяха добавени {amount}."),
        "wallet.payment": ("Плащането е извършено", "Платихте {amount} от портфейла си."),
        "wallet.payment_card": ("Плащането е извършено", "Платихте {amount} с картата си *{last4}."),
    },
}
for _lang, _extra in _WALLET_TEMPLATES.items():
    TEMPLATES[_lang].update(_extra)
