package dev.vlcache.core.checkpoint;

/**
 * A checkpoint folder that cannot be loaded: a missing or malformed file, a tensor that is absent or has the wrong
 * shape, an unsupported model type. The message names the file or tensor and what was expected.
 */
public class CheckpointException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	public CheckpointException(String message) {
		super(message);
	}

	public CheckpointException(String message, Throwable cause) {
		super(message, cause);
	}

}
