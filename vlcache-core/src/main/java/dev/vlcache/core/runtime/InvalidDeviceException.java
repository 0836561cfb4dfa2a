package dev.vlcache.core.runtime;

/**
 * The {@code device} setting names no device this engine can use: not a valid value, or one this machine or
 * DJL's PyTorch engine cannot provide. The message says why and what would work.
 */
public final class InvalidDeviceException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	private final String requested;

	public InvalidDeviceException(String requested, String message) {
		super(message);
		this.requested = requested;
	}

	/** The value as the user gave it. */
	public String requested() {
		return this.requested;
	}

}
