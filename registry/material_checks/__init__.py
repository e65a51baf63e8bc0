"""Materials read back: text recognised from the ID card and certificates and compared with the form,
legibility (blur, too dark, washed out) and the face in the photo — warnings before submission,
never a block (docs/materials.md)."""
