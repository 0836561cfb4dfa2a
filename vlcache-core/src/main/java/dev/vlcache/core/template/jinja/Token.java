package dev.vlcache.core.template.jinja;

/** One lexical token of a template; {@code line} is 1-based, for error messages. */
record Token(Kind kind, String text, int line) {

	enum Kind {

		TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF

	}

	boolean is(Kind k, String value) {
		return this.kind == k && this.text.equals(value);
	}

	boolean isName(String value) {
		return is(Kind.NAME, value);
	}

	boolean isOperator(String value) {
		return is(Kind.OPERATOR, value);
	}

}
