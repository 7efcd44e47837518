-- 0060: the principals table of 0001 is dropped. coupond takes a principal's role, name and
-- store from the certificate the CA signed (service/principal.c) and never wrote or read this
-- table; every redemption and card transaction names its terminal and store itself.
DROP TABLE IF EXISTS principals;
