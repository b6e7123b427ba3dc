-- The checks of acs-triage's bundled analyses, as one DuckDB query over the same corpus, for
-- comparison: call end reasons that are not normal endings (per call and participant), failed chat
-- requests (per status, thread and user), poor media streams (documented thresholds), and SMS
-- messages accepted with no delivery report anywhere (send joined with reports on the message ID).
WITH records AS (
    SELECT category, operationName, correlationId, resultSignature, properties
    FROM read_json('bench/corpus/**/PT1H.json', format = 'newline_delimited',
                   columns = {category: 'VARCHAR', operationName: 'VARCHAR', correlationId: 'VARCHAR',
                              resultSignature: 'VARCHAR', properties: 'JSON'})
),
sms AS (
    SELECT operationName, resultSignature, properties->>'MessageId' AS message_id
    FROM records
    WHERE category = 'SMSOperational'
)
SELECT 'end-reason' AS check_id, correlationId AS entity,
       properties->>'participantId' AS detail,
       (properties->>'participantEndReason') || '/' || coalesce(properties->>'participantEndSubCode', '') AS code,
       count(*) AS n
FROM records
WHERE category = 'CallSummary'
  AND NOT ((properties->>'participantEndReason') || '/' || coalesce(properties->>'participantEndSubCode', ''))
          IN ('0/0', '487/0', '603/0', '487/10003', '0/5000', '0/5003', '0/5300', '0/7000', '0/4097', '487/10024')
GROUP BY ALL
UNION ALL
SELECT 'chat-error', properties->>'ChatThreadId', properties->>'UserId', resultSignature, count(*)
FROM records
WHERE category = 'ChatOperational' AND TRY_CAST(resultSignature AS INTEGER) >= 400
GROUP BY ALL
UNION ALL
SELECT 'poor-stream', correlationId, properties->>'participantId', properties->>'mediaType', count(*)
FROM records
WHERE category = 'CallDiagnostics'
  AND (TRY_CAST(properties->>'roundTripTimeAvg' AS DOUBLE) > 500
       OR TRY_CAST(properties->>'jitterAvg' AS DOUBLE) > 30
       OR TRY_CAST(properties->>'packetLossRateAvg' AS DOUBLE) > 0.1)
GROUP BY ALL
UNION ALL
SELECT 'sms-no-report', s.message_id, NULL, NULL, 1
FROM (SELECT message_id FROM sms WHERE operationName = 'SMSMessagesSent' AND resultSignature = '202') s
ANTI JOIN (SELECT message_id FROM sms WHERE operationName = 'SMSDeliveryReportsReceived') r
    ON s.message_id = r.message_id;
