"""The insurer's own page: the patient confirms an e-voucher payment (what the national app shows).

It belongs to the mock insurer, not to the hospital: the mock's own server serves it, and so does
the hospital's process when the insurer runs in it (the default). It speaks the patient's
language as the hospital asked, and says in words why it cannot go on.
"""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from flask import Blueprint, abort, current_app, redirect, render_template, request
from markupsafe import Markup

from insurance.mock_insurer.authorisation import AuthorisationRefused
from insurance.mock_insurer.constants import AUTHORIZE_PATH

bp = Blueprint("mock_insurer_pages", __name__, template_folder="templates")

SCHEMES = {"310": {"zh": "职工基本医疗保险", "en": "Employee medical insurance"}}
SCHEMES["390"] = {"zh": "城乡居民基本医疗保险", "en": "Urban and rural residents' medical insurance"}
TEXTS = {
    "zh": {
        "title": "医保电子凭证 · 授权支付",
        "asks": "请求使用您的医保电子凭证支付",
        "name": "姓名",
        "id": "身份证号",
        "scheme": "参保险种",
        "region": "参保地",
        "balance": "个人账户余额",
        "amount": "本次费用",
        "note": "确认后将返回医院页面，您可先看到医保统筹、个人账户和自付各付多少，再确认支付。",
        "confirm": "确认授权",
        "cancel": "不授权，返回",
        "qr": "演示：也可以用手机医保应用扫描此码在手机上确认",
        "forged": "这个授权请求无效（可能已被改动）。请回到医院的支付页面，重新点“医保电子凭证支付”。",
        "expired": "这个授权请求已过期。请回到医院的支付页面，重新点“医保电子凭证支付”。",
        "not_insured": "未查询到您的参保信息。请回到医院页面选择自费支付，或联系参保地医保经办机构。",
        "back": "返回医院页面",
        "insurer": "国家医保服务平台（模拟）",
    },
    "en": {
        "title": "Medical-insurance e-voucher · authorise a payment",
        "asks": "asks to use your medical-insurance e-voucher to pay",
        "name": "Name",
        "id": "Resident ID",
        "scheme": "Scheme",
        "region": "Insured in",
        "balance": "Personal account balance",
        "amount": "Amount",
        "note": "After you confirm you go back to the hospital's page, which shows what the fund, your "
        "personal account and you pay before you confirm the payment.",
        "confirm": "Authorise",
        "cancel": "Do not authorise, go back",
        "qr": "Demo: you may also scan this code with the insurance app on your phone and confirm there",
        "forged": "This authorisation request is not valid (it may have been changed). Go back to the "
        "hospital's payment page and tap “Pay with the e-voucher” again.",
        "expired": "This authorisation request has expired. Go back to the hospital's payment page and tap "
        "“Pay with the e-voucher” again.",
        "not_insured": "No insurance was found for you. Go back to the hospital's page and pay yourself, or "
        "ask the insurance office where you are insured.",
        "back": "Back to the hospital's page",
        "insurer": "National medical-insurance service (mock)",
    },
}


def _insurer():
    """The mock insurer of this process: the mock's own server, or the hospital's in-process one."""
    insurer = current_app.extensions.get("mock_insurer")
    provider = current_app.extensions.get("mock_insurer_provider")
    if insurer is None and provider is not None:
        insurer = provider()
    if insurer is None:
        abort(404)
    return insurer


def _qr_svg(url: str) -> Markup:
    """The page's own address as an inline SVG QR code (no image request, no external service)."""
    svg = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2).to_string(encoding="unicode")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-caption" ', 1))


def _refused(err: AuthorisationRefused, lang: str):
    texts = TEXTS[lang]
    return render_template(
        "mock_insurer/authorize.html", t=texts, lang=lang, refused=texts[err.reason], back=err.return_url
    ), (410 if err.reason == "expired" else 400)


@bp.get(AUTHORIZE_PATH)
def authorize():
    """Who is asked to pay, how much, for whom: confirm or decline."""
    lang = "en" if request.args.get("lang") == "en" else "zh"
    try:
        view = _insurer().read_authorisation(request.args.get("req", ""))
    except AuthorisationRefused as err:
        return _refused(err, lang)
    texts = TEXTS[view["lang"]]
    return render_template(
        "mock_insurer/authorize.html",
        t=texts,
        lang=view["lang"],
        view=view,
        scheme=SCHEMES.get(view["insutype"], {}).get(view["lang"], view["insutype"]),
        req=request.args["req"],
        qr=_qr_svg(request.url),
    )


@bp.post(AUTHORIZE_PATH)
def decide():
    """Confirmed: back to the hospital with the voucher token; declined: back, saying so."""
    sealed = request.form.get("req", "")
    try:
        if request.form.get("decision") == "confirm":
            return redirect(_insurer().confirm_authorisation(sealed), 303)
        return redirect(_insurer().cancel_authorisation(sealed), 303)
    except AuthorisationRefused as err:
        return _refused(err, "en" if request.form.get("lang") == "en" else "zh")
