"""Published test vectors (data only) for the request signatures we verify.

RFC 9421 / AudioHook: from purecloudlabs/audiohook-reference-implementation (MIT),
app/audiohook/test/httpsignature/signature-verifier.test.ts and signature-builder.test.ts;
the first is draft-ietf-httpbis-message-signatures-11 appendix B.2.5.
Twilio: from twilio/twilio-python (MIT), tests/unit/test_request_validator.py.
"""

RFC_B25_KEY_B64 = (
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="
)
RFC_B25_HEADERS = {
    "date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "content-type": "application/json",
    "signature-input": 'sig-b25=("date" "@authority" "content-type")'
    ';created=1618884473;keyid="test-shared-secret"',
    "signature": "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
}
RFC_B25_AUTHORITY = "example.com"
RFC_B25_KEYID = "test-shared-secret"
RFC_B25_CREATED = 1618884473

AUDIOHOOK_SECRET_B64 = "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="
AUDIOHOOK_API_KEY = "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"
AUDIOHOOK_REQUEST_TARGET = "/api/v1/voicebiometrics/ws"
AUDIOHOOK_HEADERS = {
    "host": "audiohook.example.com",
    "audiohook-organization-id": "d7934305-0972-4844-938e-9060eef73d05",
    "audiohook-session-id": "30b0e395-84d3-4570-ac13-9a62d8f514c0",
    "audiohook-correlation-id": "e160e428-53e2-487c-977d-96989bf5c99d",
    "x-api-key": AUDIOHOOK_API_KEY,
    "signature": "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:",
    "signature-input": 'sig1=("@request-target" "@authority" "audiohook-organization-id" '
    '"audiohook-session-id" "audiohook-correlation-id" "x-api-key")'
    ';keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl"'
    ';alg="hmac-sha256";created=1641013200;expires=3282026430',
}
AUDIOHOOK_CREATED = 1641013200
AUDIOHOOK_NONCE = "VGhpc0lzQVVuaXF1ZU5vbmNl"

# The builder vector signs "host" (not "@authority"); expires is as the reference wrote it.
AUDIOHOOK_BUILDER_SIGNATURE = "sig1=:zupMJUMfd/kMuvKc5zhRyfJPE3jTROuz1S1hn8SCTpE=:"
AUDIOHOOK_BUILDER_INPUT = (
    'sig1=("@request-target" "host" "audiohook-organization-id" "audiohook-session-id" '
    '"audiohook-correlation-id" "x-api-key");keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"'
    ';nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";alg="hmac-sha256";created=1641013200;expires=3282026430'
)

TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
TWILIO_EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
TWILIO_EXPECTED_WITH_443 = "kvajT1Ptam85bY51eRf/AJRuM3w="
TWILIO_EXPECTED_HTTP_1234 = "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
