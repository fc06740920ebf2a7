-- Which replica holds a claimed delivery. A relay that starts frees only the
-- reservations its own replica left behind when it was killed; those of other
-- replicas, possibly alive, keep their lease.
ALTER TABLE outbox_deliveries ADD COLUMN claimed_by TEXT;
