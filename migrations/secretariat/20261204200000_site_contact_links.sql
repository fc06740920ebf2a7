-- The public site's sections c (Contacto) and e (Ligas de interés), 000 V.10:
-- edited by the President, published as they are. JSON text; NULL until the
-- President publishes them.
ALTER TABLE secretariats ADD COLUMN public_contact TEXT;
ALTER TABLE secretariats ADD COLUMN public_links TEXT;
