"""``POST /services/Soap/u/XX.X`` (protocol §7.5): parse the partner ``login`` call, answer
``loginResponse`` or a SOAP fault. Only wire format here; credentials and sessions live in
:mod:`..models.auth`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from sfbulk_frames.emulator.api.oauth import decoded_body
from sfbulk_frames.emulator.models.auth import AuthService
from sfbulk_frames.emulator.wire import Request, Response

__all__ = ["INVALID_LOGIN", "SoapFault", "login", "login_response", "parse_login"]

_XML = "text/xml;charset=UTF-8"
_SOAP_PATH = re.compile(r"/services/Soap/([uc])/(\d+(?:\.\d+)?)")


@dataclass(eq=False)
class SoapFault(Exception):
    """A SOAP fault answer (HTTP 500) with Salesforce's ``faultcode`` and exception code."""

    code: str             # faultcode, e.g. "sf:INVALID_LOGIN"
    message: str          # faultstring, e.g. "INVALID_LOGIN: Invalid username, ..."
    fault_type: str = "LoginFault"

    def response(self) -> Response:
        exception_code = self.code.split(":", 1)[-1]
        text = self.message.split(": ", 1)[-1]
        body = _FAULT.format(code=self.code, message=escape(self.message),
                             fault_type=self.fault_type, exception_code=exception_code,
                             text=escape(text))
        return Response(500, [("Content-Type", _XML)], body.encode())


INVALID_LOGIN = SoapFault(
    "sf:INVALID_LOGIN",
    "INVALID_LOGIN: Invalid username, password, security token; or user locked out.",
)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def login(auth: AuthService, req: Request) -> Response:
    """Answer a SOAP ``login``: ``loginResponse``, or a 500 SOAP fault."""
    try:
        username, password = parse_login(decoded_body(req))
    except SoapFault as fault:
        return fault.response()
    session = auth.soap_login(username, password)
    if session is None:
        return INVALID_LOGIN.response()
    return login_response(
        req.path, req.base_url,
        session_id=session.session_id, user_id=session.user_id, org_id=session.org_id,
        organization_name=session.organization_name, session_seconds=session.session_seconds,
        username=session.username, full_name=session.full_name,
    )


def parse_login(body: bytes) -> tuple[str, str]:
    """``(username, password)`` of a SOAP ``login`` envelope; raises :class:`SoapFault` when
    the body is not XML or is not a login call."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SoapFault("soapenv:Client", "Unable to parse the SOAP request envelope") from exc
    login = next((el for el in root.iter() if _local(el.tag) == "login"), None)
    if login is None:
        raise SoapFault("sf:INVALID_OPERATION",
                        "INVALID_OPERATION: only the login call is emulated", "InvalidOperation")
    fields = {_local(el.tag): (el.text or "") for el in login}
    return fields.get("username", ""), fields.get("password", "")


def login_response(
    path: str,
    base_url: str,
    *,
    session_id: str,
    user_id: str,
    org_id: str,
    organization_name: str,
    session_seconds: int,
    username: str,
    full_name: str,
) -> Response:
    """The 200 ``loginResponse`` for a login at ``path`` (``/services/Soap/u|c/XX.X``)."""
    match = _SOAP_PATH.search(path)
    kind, version = (match.group(1), match.group(2)) if match else ("u", "62.0")
    org15 = org_id[:15]
    body = _LOGIN_RESPONSE.format(
        ns=f"urn:{'enterprise' if kind == 'c' else 'partner'}.soap.sforce.com",
        metadata_url=escape(f"{base_url}/services/Soap/m/{version}/{org15}"),
        server_url=escape(f"{base_url}/services/Soap/{kind}/{version}/{org15}"),
        session_id=escape(session_id),
        user_id=user_id,
        org_id=org_id,
        org_name=escape(organization_name),
        seconds=session_seconds,
        email=escape(username),
        full_name=escape(full_name),
        username=escape(username),
    )
    return Response(200, [("Content-Type", _XML)], body.encode())


_LOGIN_RESPONSE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><loginResponse><result>\
<metadataServerUrl>{metadata_url}</metadataServerUrl>\
<passwordExpired>false</passwordExpired>\
<sandbox>false</sandbox>\
<serverUrl>{server_url}</serverUrl>\
<sessionId>{session_id}</sessionId>\
<userId>{user_id}</userId>\
<userInfo>\
<accessibilityMode>false</accessibilityMode>\
<currencySymbol>$</currencySymbol>\
<orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit>\
<orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode>\
<orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments>\
<orgHasPersonAccounts>false</orgHasPersonAccounts>\
<organizationId>{org_id}</organizationId>\
<organizationMultiCurrency>false</organizationMultiCurrency>\
<organizationName>{org_name}</organizationName>\
<profileId>00eR0000000Adm1IAC</profileId>\
<roleId xsi:nil="true"/>\
<sessionSecondsValid>{seconds}</sessionSecondsValid>\
<userDefaultCurrencyIsoCode xsi:nil="true"/>\
<userEmail>{email}</userEmail>\
<userFullName>{full_name}</userFullName>\
<userId>{user_id}</userId>\
<userLanguage>en_US</userLanguage>\
<userLocale>en_US</userLocale>\
<userName>{username}</userName>\
<userTimeZone>America/Los_Angeles</userTimeZone>\
<userType>Standard</userType>\
<userUiSkin>Theme3</userUiSkin>\
</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"""

_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:sf="urn:fault.partner.soap.sforce.com" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><soapenv:Fault>\
<faultcode>{code}</faultcode>\
<faultstring>{message}</faultstring>\
<detail><sf:{fault_type} xsi:type="sf:{fault_type}">\
<sf:exceptionCode>{exception_code}</sf:exceptionCode>\
<sf:exceptionMessage>{text}</sf:exceptionMessage>\
</sf:{fault_type}></detail>\
</soapenv:Fault></soapenv:Body></soapenv:Envelope>"""
