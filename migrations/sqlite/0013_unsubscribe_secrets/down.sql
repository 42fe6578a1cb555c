-- The secrets stay: they are indistinguishable from those made with a contact.
SELECT 1;
