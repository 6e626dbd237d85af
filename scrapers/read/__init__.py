"""Reading: bytes to pages, visible text, tables and links (PDF through pdfplumber, HTML through
lxml), with no meaning given to them yet."""
