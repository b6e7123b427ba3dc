#!/usr/bin/env python3
"""Generates a synthetic corpus for the benchmark: storage-account exports plus Event Grid files.

The layout and record shapes follow the storage export (`insights-logs-<category>/.../PT1H.json`,
one JSON record per line, camelCase `properties`), 2,500 calls an hour among 20,000 users (chat in
5,000 threads), so a longer corpus is more traffic from the same people. Calls have 2-4 participants
and two streams per participant; about 2 % of participants end with a failure code, 1 % of streams
are poor, 2 % of chat requests fail (429 or 401), and 2 % of SMS messages go wrong: throttled
sends, failed deliveries, accepted messages that never get a report. Delivery reports arrive as
SMSOperational records for half the messages and as Event Grid events (the EventGrid schema, one
JSON array per day under `eventgrid/`) for the other half. Deterministic for a given size.

usage: gen_corpus.py OUT_DIR [TARGET_MIB] [--healthy-after HOURS]

With --healthy-after N, only the first N hours hold failures; every later hour is healthy traffic
(the memory-growth check compares a corpus with a longer healthy tail against a shorter one).
"""
import json
import os
import random
import sys

RES = ("/SUBSCRIPTIONS/6F2A1C3E-0000-4000-8000-00000000AB01/RESOURCEGROUPS/BENCH-RG/PROVIDERS/"
       "MICROSOFT.COMMUNICATION/COMMUNICATIONSERVICES/BENCH-ACS")
FAILURES = [(410, 3112), (490, 4502), (408, 10057), (480, 10037), (401, 10009), (500, 0),
            (403, 560403), (410, 301005), (496, 7)]
FAILURE_SHARE = 0.02
NORMAL = [(0, 0)] * 12 + [(487, 0), (603, 0), (487, 10003), (0, 5000)]


def uid(rng):
    return "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                          rng.getrandbits(12), rng.getrandbits(48))


def main():
    args = sys.argv[1:]
    healthy_after = None
    if "--healthy-after" in args:
        i = args.index("--healthy-after")
        healthy_after = int(args[i + 1])
        del args[i:i + 2]
    out = args[0]
    if os.path.isdir(out) and os.listdir(out):
        sys.exit("%s is not empty: blobs are appended to, so remove it first" % out)
    target = int(args[1]) if len(args) > 1 else 770
    target_bytes = target * 1024 * 1024
    rng = random.Random(20261120)
    people = random.Random(7)
    users = [uid(people) for _ in range(20000)]
    threads = [uid(people).replace("-", "") for _ in range(5000)]
    written = 0
    hour = 0
    events = []  # Event Grid delivery reports of the current day
    event_day = None

    def flush_events():
        if not events:
            return
        path = os.path.join(out, "eventgrid", "sms-delivery-reports-%s.json" % event_day)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("[\n" + ",\n".join(events) + "\n]\n")
        events.clear()

    def open_blob(category, hour):
        day, h = divmod(hour, 24)
        path = os.path.join(out, "insights-logs-%s" % category.lower(), "resourceId=" + RES,
                            "y=2026", "m=11", "d=%02d" % (1 + day % 28), "h=%02d" % h, "m=00", "PT1H.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return open(path, "a", buffering=1 << 20)

    while written < target_bytes:
        blobs = {c: open_blob(c, hour) for c in ("CallSummary", "CallDiagnostics", "ChatOperational", "SMSOperational")}
        day, h = divmod(hour, 24)
        date = "2026-11-%02d" % (1 + day % 28)
        if date != event_day:
            flush_events()
            event_day = date
        failing = FAILURE_SHARE if healthy_after is None or hour < healthy_after else 0.0
        for i in range(2500):
            minute, sec = divmod(i * 1.44, 60)
            t = "%sT%02d:%02d:%06.3fZ" % (date, h, int(minute), sec)
            call = uid(rng)
            parts = rng.randint(2, 4)
            for p in range(parts):
                code, sub = rng.choice(FAILURES) if rng.random() < failing else rng.choice(NORMAL)
                pid, eid, ident = uid(rng), uid(rng), "acs:6f2a1c3e-0000-4000-8000-00000000ab01_%s" % rng.choice(users)
                line = ('{"time":"%s","resourceId":"%s","correlationId":"%s","operationName":"CallSummary",'
                        '"operationVersion":"1.0","category":"CallSummary","level":"Informational","properties":{'
                        '"identifier":"%s","callStartTime":"%s","callDuration":%d,"callType":"Group",'
                        '"teamsThreadId":"null","participantId":"%s","participantStartTime":"%s",'
                        '"participantDuration":"%d","participantEndReason":"%d","participantEndSubCode":"%d",'
                        '"endpointId":"%s","endpointType":"VoIP","sdkVersion":"1.28.3.1",'
                        '"osVersion":"Windows 10.0.22631 Arch: x64"}}\n') % (
                    t, RES, call, ident, t, 300, pid, t, 290, code, sub, eid)
                blobs["CallSummary"].write(line)
                written += len(line)
                for media, stream in (("Audio", 1000 + p), ("Video", 2000 + p)):
                    poor = rng.random() < failing / 2
                    line = ('{"time":"%s","resourceId":"%s","correlationId":"%s","operationName":"CallDiagnostics",'
                            '"operationVersion":"1.0","category":"CallDiagnostics","properties":{"identifier":"%s",'
                            '"participantId":"%s","endpointId":"%s","endpointType":"VoIP","mediaType":"%s",'
                            '"streamId":"%d","transportType":"UDP","roundTripTimeAvg":"%d","roundTripTimeMax":"%d",'
                            '"jitterAvg":"%d","jitterMax":"%d","packetLossRateAvg":"%s","packetLossRateMax":"%s"}}\n') % (
                        t, RES, call, ident, pid, eid, media, stream, 620 if poor else 80, 700 if poor else 95,
                        45 if poor else 2, 60 if poor else 4, "0.15" if poor else "0.0001", "0.3" if poor else "0.001")
                    blobs["CallDiagnostics"].write(line)
                    written += len(line)
            if i % 3 == 0:
                roll = rng.random()
                sig = 429 if roll < failing * 0.75 else (401 if roll < failing else 201)
                line = ('{"time":"%s","resourceId":"%s","correlationId":"%s.0","operationName":"SendChatMessage",'
                        '"operationVersion":"2021-09-07","category":"ChatOperational","resultType":"%s",'
                        '"resultSignature":%d,"durationMs":25,"properties":{"ChatThreadId":"19:%s@thread.v2",'
                        '"UserId":"8:acs:6f2a1c3e-0000-4000-8000-00000000ab01_%s"}}\n') % (
                    t, RES, uid(rng)[:22], "Failed" if sig >= 400 else "Succeeded", sig, rng.choice(threads),
                    rng.choice(users))
                blobs["ChatOperational"].write(line)
                written += len(line)
            if i % 5 == 0:
                # Four toll-free sender numbers; a few sends throttled; most accepted sends get a
                # delivery report (SMSOperational or Event Grid), some fail, some never get one.
                sender = "+1800555%04d" % (i % 4)
                roll = rng.random()
                sig = 429 if roll < failing * 0.25 else 202
                mid = "Outgoing_20261120%06d%s_noam" % (i, uid(rng)) if sig == 202 else None
                line = ('{"time":"%s","resourceId":"%s","correlationId":"%s.0","operationName":"SMSMessagesSent",'
                        '"category":"SMSOperational","resultType":"%s","resultSignature":%d,"properties":{'
                        '%s"PhoneNumber":"%s","NumberType":"TollFreeNumber"}}\n') % (
                    t, RES, uid(rng)[:22], "Succeeded" if sig == 202 else "Failed", sig,
                    '"MessageId":"%s",' % mid if mid else "", sender)
                blobs["SMSOperational"].write(line)
                written += len(line)
                if mid and roll < failing * 0.75:
                    pass  # accepted, never reported
                elif mid and (roll < failing or rng.random() < 0.5):
                    failed = roll < failing
                    received = "%sT%02d:%02d:%09.6fZ" % (date, h, int(minute), min(sec + 4.5, 59.999999))
                    events.append(json.dumps({
                        "id": mid,
                        "topic": "/subscriptions/6f2a1c3e-0000-4000-8000-00000000ab01/resourceGroups/bench-rg/"
                                 "providers/microsoft.communication/communicationservices/bench-acs",
                        "subject": "/phonenumber/%s" % sender.lstrip("+"),
                        "data": {
                            "messageId": mid, "from": sender, "to": "+1425555%04d" % rng.randrange(10000),
                            "deliveryStatus": "Failed" if failed else "Delivered",
                            "deliveryStatusDetails": "The Destination/To number isn't reachable." if failed
                            else "No error.",
                            "receivedTimestamp": received,
                            "deliveryAttempts": [{"timestamp": received, "segmentsSucceeded": 0 if failed else 1,
                                                  "segmentsFailed": 1 if failed else 0}],
                        },
                        "eventType": "Microsoft.Communication.SMSDeliveryReportReceived",
                        "dataVersion": "1.0", "metadataVersion": "1", "eventTime": received[:19] + "Z",
                    }, separators=(",", ":")))
                    written += len(events[-1]) + 2
                elif mid:
                    line = ('{"time":"%s","resourceId":"%s","correlationId":"%s.0",'
                            '"operationName":"SMSDeliveryReportsReceived","category":"SMSOperational",'
                            '"resultType":"Succeeded","resultSignature":200,"properties":{"MessageId":"%s",'
                            '"PhoneNumber":"%s","NumberType":"TollFreeNumber","DeliveryAttempts":1}}\n') % (
                        t, RES, uid(rng)[:22], mid, sender)
                    blobs["SMSOperational"].write(line)
                    written += len(line)
        for b in blobs.values():
            b.close()
        hour += 1
    flush_events()
    print("wrote %.1f MiB in %d hourly blob sets under %s" % (written / 1048576, hour, out))


if __name__ == "__main__":
    main()
