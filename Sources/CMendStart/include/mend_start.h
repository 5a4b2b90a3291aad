/* What the mend executable checks before the Swift runtime starts: start.c has no API, only a
 * constructor. A C target needs a public header directory; this is it. */
