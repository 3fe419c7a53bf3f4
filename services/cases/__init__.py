"""Cases (办件): lifecycle, numbers, drafts and materials, 补正, tracking, receipts, handling by staff."""
