package dev.vlcache.sample;

import org.springframework.http.HttpStatus;

/** A request the app refuses, with the status and a message a person can act on. */
public class BadChatRequestException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final HttpStatus status;

	private final String title;

	public BadChatRequestException(HttpStatus status, String title, String detail) {
		super(detail);
		this.status = status;
		this.title = title;
	}

	public HttpStatus getStatus() {
		return this.status;
	}

	public String getTitle() {
		return this.title;
	}

}
