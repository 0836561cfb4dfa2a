package dev.vlcache.autoconfigure;

/** A {@code spring.ai.vlcache.*} property with a value outside its valid range; reported at startup. */
public class InvalidVlCachePropertyException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final String property;

	private final String value;

	private final String reason;

	public InvalidVlCachePropertyException(String property, Object value, String reason) {
		super("Invalid value '" + value + "' for property '" + property + "': " + reason);
		this.property = property;
		this.value = String.valueOf(value);
		this.reason = reason;
	}

	public String getProperty() {
		return this.property;
	}

	public String getValue() {
		return this.value;
	}

	public String getReason() {
		return this.reason;
	}

}
