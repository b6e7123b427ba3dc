#!/usr/bin/env python3
"""Writes one day of Log-Analytics-shaped ACS rows (a JSON array; every row names its table in
`Type`, as portal and query-API exports do) for the KQL round-trip check: calls ending normally
(0/0, 487/0, 603/0) and not (410/3112 three times for one identity, 480/10037, 403/560403 on a
PSTN leg, an unknown 499/123456), good and poor media streams, a chat thread throttled for a
minute and a few unauthorized requests, SMS sends with and without delivery reports, one too
recent to judge, and identity requests refused with 401. Column names and types follow rules/log-analytics-tables.json; values follow
the documentation samples in examples/logs/.

usage: la_rows.py OUT.json
"""
import json
import sys

DAY = "2026-11-20"
RES = ("/subscriptions/6f2a1c3e-0000-4000-8000-00000000ab01/resourcegroups/contoso-rg/providers/"
       "microsoft.communication/communicationservices/contoso-acs")


def at(h, m, s=0.0):
    return "%sT%02d:%02d:%06.3fZ" % (DAY, h, m, s)


def guid(kind, n):
    return "%08x-%04x-4%03x-8%03x-%012x" % (kind, n, n % 4096, kind % 4096, n * 7919 + kind)


def main():
    rows = []
    ends = [(0, 0)] * 20 + [(487, 0), (603, 0), (487, 0), (603, 0)]
    failing = {3: (410, 3112), 7: (410, 3112), 11: (410, 3112), 5: (480, 10037), 9: (403, 560403),
               13: (499, 123456)}
    for call in range(24):
        cid = guid(1, call)
        start = at(9 + call // 4, (call % 4) * 12)
        for part in range(2):
            code, sub = ends[call] if part == 0 else (0, 0)
            if part == 1 and call in failing:
                code, sub = failing[call]
            pstn = call == 9 and part == 1
            identity = ("4:+14255550%03d" % call) if pstn else (
                "8:acs:6f2a1c3e-0000-4000-8000-00000000ab01_%s" % (
                    "0000001a-0009-4c2d-85f0-3a3b00000099" if call in (3, 7, 11) and part == 1 else guid(2, call * 2 + part)))
            pid, eid = guid(3, call * 2 + part), guid(4, call * 2 + part)
            rows.append({
                "TenantId": "0a1b2c3d-0000-4000-8000-000000000001", "TimeGenerated": start,
                "CorrelationId": cid, "OperationName": "CallSummary",
                "Identifier": identity, "CallStartTime": start, "CallDuration": 300, "CallType": "Group",
                "ParticipantId": pid, "ParticipantStartTime": start, "ParticipantDuration": 290,
                "ParticipantEndReason": str(code), "ParticipantEndSubCode": str(sub),
                "EndpointId": eid, "EndpointType": "PSTN" if pstn else "VoIP",
                "SdkVersion": "1.28.3.1", "OsVersion": "Windows 10.0.22631",
                "ResultCategory": "Success" if code in (0, 487, 603) else "UnexpectedClientError",
                "Type": "ACSCallSummary", "_ResourceId": RES,
            })
            for media, stream in (("Audio", 1000 + part), ("Video", 2000 + part)):
                poor = call in (2, 6) and part == 0
                rows.append({
                    "TenantId": "0a1b2c3d-0000-4000-8000-000000000001", "TimeGenerated": start,
                    "CorrelationId": cid, "OperationName": "CallDiagnostics", "Identifier": identity,
                    "ParticipantId": pid, "EndpointId": eid, "EndpointType": "VoIP", "MediaType": media,
                    "StreamId": stream, "TransportType": "UDP", "StreamDirection": "Inbound",
                    "RoundTripTimeAvg": 620 if poor else 80, "RoundTripTimeMax": 700 if poor else 95,
                    "JitterAvg": 45 if poor else 2, "JitterMax": 60 if poor else 4,
                    "PacketLossRateAvg": 0.15 if poor else 0.0001, "PacketLossRateMax": 0.3 if poor else 0.001,
                    "Type": "ACSCallDiagnostics", "_ResourceId": RES,
                })
    thread = "19:a1b2c3d4e5f60718293a4b5c6d7e8f90@thread.v2"
    for i in range(40):
        throttled = 20 <= i < 32
        rows.append({
            "TenantId": "0a1b2c3d-0000-4000-8000-000000000001", "TimeGenerated": at(14, 0, i * 1.5),
            "CorrelationId": "Z5iNmLZ0eUSTd3L3r6AKjA.%d" % i, "OperationName": "SendChatMessage",
            "OperationVersion": "2021-09-07", "Category": "ChatOperational",
            "ResultType": "Failed" if throttled else "Succeeded", "ResultSignature": "429" if throttled else "201",
            "DurationMs": 25, "ChatThreadId": thread,
            "UserId": "8:acs:6f2a1c3e-0000-4000-8000-00000000ab01_0000001a-0009-4c2d-85f0-3a3b0000%04d" % (i % 2),
            "SdkType": "javascript", "PlatformType": "Web", "Type": "ACSChatIncomingOperations",
            "_ResourceId": RES,
        })
    for i in range(3):
        rows.append({
            "TenantId": "0a1b2c3d-0000-4000-8000-000000000001", "TimeGenerated": at(15, i),
            "CorrelationId": "Y4hMlKZ0eUSTd3L3r6AKjB.%d" % i, "OperationName": "GetChatMessages",
            "OperationVersion": "2021-09-07", "Category": "ChatOperational", "ResultType": "Failed",
            "ResultSignature": "401", "DurationMs": 5, "ChatThreadId": thread, "UserId": "",
            "Type": "ACSChatIncomingOperations", "_ResourceId": RES,
        })
    for i in range(3):
        rows.append({
            "TenantId": "0a1b2c3d-0000-4000-8000-000000000001", "TimeGenerated": at(16, i),
            "CorrelationId": "a7dQ9Kqf6jxTl4Xwg3SCDv.%d" % i, "OperationName": "IssueAccessToken",
            "Category": "AuthOperational", "ResultType": "Failed", "ResultSignature": "401",
            "DurationMs": 12, "Type": "ACSAuthIncomingOperations", "_ResourceId": RES,
        })
    for i in range(12):
        mid = "Outgoing_20261120%04d_8b7f4c3e-0000-4000-8000-%012d_noam" % (i, i)
        sent = at(10 + i, 5) if i < 11 else at(23, 40)
        rows.append({
            "TenantId": "0a1b2c3d-0000-4000-8000-000000000001", "TimeGenerated": sent,
            "CorrelationId": "b8eR0Lrg7kyUm5Yxh4TDEw.%d" % i, "OperationName": "SMSMessagesSent",
            "Category": "SMSOperational", "ResultType": "Succeeded", "ResultSignature": "202",
            "MessageId": mid, "PhoneNumber": "+18005550100", "NumberType": "TollFreeNumber",
            "Country": "US", "OutgoingMessageLength": 42, "Type": "ACSSMSIncomingOperations",
            "_ResourceId": RES,
        })
        if i % 4 != 3 and i < 11:
            rows.append({
                "TenantId": "0a1b2c3d-0000-4000-8000-000000000001", "TimeGenerated": at(10 + i, 5, 4.2),
                "CorrelationId": "c9fS1Msh8lzVn6Zyi5UEFx.%d" % i, "OperationName": "SMSDeliveryReportsReceived",
                "Category": "SMSOperational", "ResultType": "Succeeded", "ResultSignature": "200",
                "MessageId": mid, "PhoneNumber": "+18005550100", "NumberType": "TollFreeNumber",
                "DeliveryAttempts": 1, "Type": "ACSSMSIncomingOperations", "_ResourceId": RES,
            })
    with open(sys.argv[1], "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
