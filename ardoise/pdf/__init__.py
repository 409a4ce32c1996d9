"""Invoice PDFs: Typst rendering as PDF/A-3b and Factur-X embedding."""
