package dev.vlcache.core.template.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text and tag tokens, with Jinja's whitespace control ({@code {%-}, {@code -%}}) and the
 * {@code trim_blocks} and {@code lstrip_blocks} settings that Hugging Face renders chat templates with.
 */
final class Lexer {

	private static final String[] OPERATORS = { "**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "|",
			"(", ")", "[", "]", "{", "}", ",", ":", ".", "=", "<", ">" };

	private final String src;

	private final boolean trimBlocks;

	private final boolean lstripBlocks;

	private final List<Token> tokens = new ArrayList<>();

	private int pos;

	private int line = 1;

	Lexer(String src, boolean trimBlocks, boolean lstripBlocks) {
		this.src = src;
		this.trimBlocks = trimBlocks;
		this.lstripBlocks = lstripBlocks;
	}

	List<Token> tokenize() {
		boolean stripNextLeading = false;
		boolean trimNextNewline = false;
		while (this.pos < this.src.length()) {
			int open = nextTagStart(this.pos);
			String text = this.src.substring(this.pos, open < 0 ? this.src.length() : open);
			if (trimNextNewline && !stripNextLeading) {
				if (text.startsWith("\r\n")) {
					text = text.substring(2);
				}
				else if (text.startsWith("\n")) {
					text = text.substring(1);
				}
			}
			if (stripNextLeading) {
				text = stripLeading(text);
			}
			stripNextLeading = false;
			trimNextNewline = false;
			if (open < 0) {
				addText(text);
				this.pos = this.src.length();
				break;
			}
			char kind = this.src.charAt(open + 1);
			char modifier = open + 2 < this.src.length() ? this.src.charAt(open + 2) : ' ';
			if (modifier == '-') {
				text = stripTrailing(text);
			}
			else if (this.lstripBlocks && kind != '{' && modifier != '+') {
				text = stripLineIndent(text);
			}
			addText(text);
			this.line += count(this.src, this.pos, open, '\n');
			this.pos = open + 2 + ((modifier == '-' || modifier == '+') ? 1 : 0);
			if (kind == '#') {
				int end = this.src.indexOf("#}", this.pos);
				if (end < 0) {
					throw error("unclosed comment");
				}
				boolean dash = end > 0 && this.src.charAt(end - 1) == '-';
				this.line += count(this.src, this.pos, end, '\n');
				this.pos = end + 2;
				stripNextLeading = dash;
				trimNextNewline = this.trimBlocks;
				continue;
			}
			if (kind == '%' && isRawStart()) {
				readRaw();
				continue;
			}
			boolean block = kind == '%';
			this.tokens.add(new Token(block ? Token.Kind.BLOCK_BEGIN : Token.Kind.VAR_BEGIN, "", this.line));
			String close = block ? "%}" : "}}";
			boolean dash = lexInside(close);
			this.tokens.add(new Token(block ? Token.Kind.BLOCK_END : Token.Kind.VAR_END, "", this.line));
			stripNextLeading = dash;
			trimNextNewline = block && this.trimBlocks;
		}
		this.tokens.add(new Token(Token.Kind.EOF, "", this.line));
		return this.tokens;
	}

	private int nextTagStart(int from) {
		int i = from;
		while (true) {
			int idx = this.src.indexOf('{', i);
			if (idx < 0 || idx + 1 >= this.src.length()) {
				return -1;
			}
			char c = this.src.charAt(idx + 1);
			if (c == '{' || c == '%' || c == '#') {
				return idx;
			}
			i = idx + 1;
		}
	}

	private boolean isRawStart() {
		int i = skipSpaces(this.pos);
		if (!this.src.startsWith("raw", i)) {
			return false;
		}
		int j = skipSpaces(i + 3);
		return this.src.startsWith("%}", j) || this.src.startsWith("-%}", j);
	}

	private void readRaw() {
		int close = this.src.indexOf("%}", this.pos) + 2;
		int i = close;
		while (true) {
			int idx = this.src.indexOf("{%", i);
			if (idx < 0) {
				throw error("unclosed raw block");
			}
			int j = idx + 2;
			if (j < this.src.length() && (this.src.charAt(j) == '-' || this.src.charAt(j) == '+')) {
				j++;
			}
			j = skipSpaces(j);
			if (this.src.startsWith("endraw", j)) {
				String body = this.src.substring(close, idx);
				if (this.src.charAt(idx + 2) == '-') {
					body = stripTrailing(body);
				}
				addText(body);
				int end = this.src.indexOf("%}", j);
				this.line += count(this.src, this.pos, end, '\n');
				this.pos = end + 2;
				return;
			}
			i = idx + 2;
		}
	}

	private int skipSpaces(int i) {
		while (i < this.src.length() && Character.isWhitespace(this.src.charAt(i))) {
			i++;
		}
		return i;
	}

	/** Lexes the inside of a tag up to its closing delimiter; returns whether the tag ended with '-'. */
	private boolean lexInside(String close) {
		while (true) {
			if (this.pos >= this.src.length()) {
				throw error("unclosed tag, expected '" + close + "'");
			}
			char c = this.src.charAt(this.pos);
			if (c == '\n') {
				this.line++;
				this.pos++;
				continue;
			}
			if (Character.isWhitespace(c)) {
				this.pos++;
				continue;
			}
			if (c == '-' && this.src.startsWith(close, this.pos + 1)) {
				this.pos += 1 + close.length();
				return true;
			}
			if (this.src.startsWith(close, this.pos)) {
				this.pos += close.length();
				return false;
			}
			if (c == '\'' || c == '"') {
				this.tokens.add(new Token(Token.Kind.STRING, readString(c), this.line));
				continue;
			}
			if (Character.isDigit(c)) {
				readNumber();
				continue;
			}
			if (Character.isLetter(c) || c == '_') {
				int start = this.pos;
				while (this.pos < this.src.length()
						&& (Character.isLetterOrDigit(this.src.charAt(this.pos)) || this.src.charAt(this.pos) == '_')) {
					this.pos++;
				}
				this.tokens.add(new Token(Token.Kind.NAME, this.src.substring(start, this.pos), this.line));
				continue;
			}
			String op = null;
			for (String candidate : OPERATORS) {
				if (this.src.startsWith(candidate, this.pos)) {
					op = candidate;
					break;
				}
			}
			if (op == null) {
				throw error("unexpected character '" + c + "'");
			}
			this.tokens.add(new Token(Token.Kind.OPERATOR, op, this.line));
			this.pos += op.length();
		}
	}

	private String readString(char quote) {
		StringBuilder sb = new StringBuilder();
		this.pos++;
		while (true) {
			if (this.pos >= this.src.length()) {
				throw error("unterminated string literal");
			}
			char c = this.src.charAt(this.pos++);
			if (c == quote) {
				return sb.toString();
			}
			if (c == '\n') {
				this.line++;
			}
			if (c != '\\') {
				sb.append(c);
				continue;
			}
			if (this.pos >= this.src.length()) {
				throw error("unterminated string literal");
			}
			char e = this.src.charAt(this.pos++);
			switch (e) {
				case 'n' -> sb.append('\n');
				case 't' -> sb.append('\t');
				case 'r' -> sb.append('\r');
				case '\\' -> sb.append('\\');
				case '\'' -> sb.append('\'');
				case '"' -> sb.append('"');
				case 'u' -> {
					sb.append((char) Integer.parseInt(this.src.substring(this.pos, this.pos + 4), 16));
					this.pos += 4;
				}
				default -> sb.append('\\').append(e);
			}
		}
	}

	private void readNumber() {
		int start = this.pos;
		while (this.pos < this.src.length()
				&& (Character.isDigit(this.src.charAt(this.pos)) || this.src.charAt(this.pos) == '_')) {
			this.pos++;
		}
		boolean isFloat = false;
		if (this.pos + 1 < this.src.length() && this.src.charAt(this.pos) == '.'
				&& Character.isDigit(this.src.charAt(this.pos + 1))) {
			isFloat = true;
			this.pos++;
			while (this.pos < this.src.length() && Character.isDigit(this.src.charAt(this.pos))) {
				this.pos++;
			}
		}
		String text = this.src.substring(start, this.pos).replace("_", "");
		this.tokens.add(new Token(isFloat ? Token.Kind.FLOAT : Token.Kind.INTEGER, text, this.line));
	}

	private void addText(String text) {
		if (!text.isEmpty()) {
			this.tokens.add(new Token(Token.Kind.TEXT, text, this.line));
		}
	}

	private static String stripLeading(String s) {
		int i = 0;
		while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
			i++;
		}
		return s.substring(i);
	}

	private static String stripTrailing(String s) {
		int i = s.length();
		while (i > 0 && Character.isWhitespace(s.charAt(i - 1))) {
			i--;
		}
		return s.substring(0, i);
	}

	/** lstrip_blocks: drops spaces and tabs between the last line break and the block tag. */
	private static String stripLineIndent(String s) {
		int i = s.length();
		while (i > 0 && (s.charAt(i - 1) == ' ' || s.charAt(i - 1) == '\t')) {
			i--;
		}
		if (i == 0 || s.charAt(i - 1) == '\n') {
			return s.substring(0, i);
		}
		return s;
	}

	private static int count(String s, int from, int to, char c) {
		int n = 0;
		for (int i = from; i < to && i < s.length(); i++) {
			if (s.charAt(i) == c) {
				n++;
			}
		}
		return n;
	}

	private TemplateException error(String message) {
		return new TemplateException("template syntax error at line " + this.line + ": " + message);
	}

}
