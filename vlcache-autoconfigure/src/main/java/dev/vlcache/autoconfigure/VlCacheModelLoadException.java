package dev.vlcache.autoconfigure;

/** The model folder could not be found or loaded at startup. */
public class VlCacheModelLoadException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final String folder;

	public VlCacheModelLoadException(String folder, String message, Throwable cause) {
		super(message, cause);
		this.folder = folder;
	}

	public VlCacheModelLoadException(String folder, String message) {
		super(message);
		this.folder = folder;
	}

	public String getFolder() {
		return this.folder;
	}

}
