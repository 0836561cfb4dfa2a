package dev.vlcache.core.template.jinja;

/**
 * A chat template that cannot be parsed or rendered, or that called {@code raise_exception}. The message says
 * where (line) and why.
 */
public class TemplateException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	public TemplateException(String message) {
		super(message);
	}

	public TemplateException(String message, Throwable cause) {
		super(message, cause);
	}

}
