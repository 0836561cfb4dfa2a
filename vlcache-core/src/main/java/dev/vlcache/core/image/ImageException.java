package dev.vlcache.core.image;

/** An image that cannot be used: undecodable, of an unsupported format, or empty. The message names the image. */
public class ImageException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	public ImageException(String message) {
		super(message);
	}

	public ImageException(String message, Throwable cause) {
		super(message, cause);
	}

}
