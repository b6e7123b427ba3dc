-- The checks of acs-triage's bundled analyses, as one DuckDB query over the same corpus, for
-- comparison ({corpus} is replaced by the corpus folder):
--   * call end reasons that are not normal endings, per call, participant and code;
--   * poor media streams against the documented thresholds, per call, participant and media type;
--   * failed chat requests per status, thread and user, and chat 429s per thread and minute;
--   * SMS sends refused with 429, and messages accepted with no delivery report anywhere: sends
--     anti-joined on the message ID with the SMSOperational reports and the Event Grid events;
--   * SMS messages whose Event Grid report says they were not delivered.
WITH records AS (
    SELECT time, category, operationName, correlationId, resultSignature, properties
    FROM read_json('{corpus}/insights-logs-*/**/PT1H.json', format = 'newline_delimited',
                   columns = {time: 'TIMESTAMP', category: 'VARCHAR', operationName: 'VARCHAR',
                              correlationId: 'VARCHAR', resultSignature: 'VARCHAR',
                              properties: 'JSON'})
),
events AS (
    SELECT eventType, data
    FROM read_json('{corpus}/eventgrid/*.json', format = 'array',
                   columns = {eventType: 'VARCHAR', data: 'JSON'})
    WHERE eventType = 'Microsoft.Communication.SMSDeliveryReportReceived'
),
sms AS (
    SELECT operationName, resultSignature, properties->>'MessageId' AS message_id,
           properties->>'PhoneNumber' AS number
    FROM records
    WHERE category = 'SMSOperational'
),
reported AS (
    SELECT message_id FROM sms WHERE operationName = 'SMSDeliveryReportsReceived'
    UNION ALL
    SELECT data->>'messageId' FROM events
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
SELECT 'poor-stream', correlationId, properties->>'participantId', properties->>'mediaType', count(*)
FROM records
WHERE category = 'CallDiagnostics'
  AND (TRY_CAST(properties->>'roundTripTimeAvg' AS DOUBLE) > 500
       OR TRY_CAST(properties->>'jitterAvg' AS DOUBLE) > 30
       OR TRY_CAST(properties->>'packetLossRateAvg' AS DOUBLE) > 0.1)
GROUP BY ALL
UNION ALL
SELECT 'chat-error', properties->>'ChatThreadId', properties->>'UserId', resultSignature, count(*)
FROM records
WHERE category = 'ChatOperational' AND TRY_CAST(resultSignature AS INTEGER) >= 400
GROUP BY ALL
UNION ALL
SELECT 'chat-throttled', properties->>'ChatThreadId', CAST(date_trunc('minute', time) AS VARCHAR), '429', count(*)
FROM records
WHERE category = 'ChatOperational' AND resultSignature = '429'
GROUP BY ALL
UNION ALL
SELECT 'sms-throttled', number, NULL, resultSignature, count(*)
FROM sms
WHERE operationName = 'SMSMessagesSent' AND resultSignature = '429'
GROUP BY ALL
UNION ALL
SELECT 'sms-no-report', s.message_id, NULL, NULL, 1
FROM (SELECT message_id FROM sms WHERE operationName = 'SMSMessagesSent' AND resultSignature = '202') s
ANTI JOIN reported r ON s.message_id = r.message_id
UNION ALL
SELECT 'sms-not-delivered', data->>'messageId', data->>'to', data->>'deliveryStatus', 1
FROM events
WHERE data->>'deliveryStatus' <> 'Delivered';
