-- Hand-written data conversion. Before the outbox had a dispatcher, scoring wrote `test.completed`
-- events nobody read. They become the catalogue's `attempt.scored` (version 1, same payload fields
-- plus `rescored: false`), owned by the test's author, and are marked PROCESSED: they describe
-- attempts scored long ago and are not sent to webhooks created since.
UPDATE `events`
SET `type` = 'attempt.scored',
    `version` = 1,
    `payload` = json_set(`payload`, '$.rescored', json('false')),
    `owner_id` = (SELECT `tests`.`author_id` FROM `attempts` JOIN `tests` ON `tests`.`id` = `attempts`.`test_id` WHERE `attempts`.`id` = `events`.`aggregate_id`),
    `status` = 'PROCESSED',
    `processed_at` = `created_at`
WHERE `type` = 'test.completed';
