package dev.vlcache.core.template.jinja;

/**
 * The value of a name or attribute that does not exist. It renders as nothing, is false, and any attribute of it
 * is undefined too, so that {@code message.get('x')}-style probing of optional fields works as in Jinja.
 */
final class Undefined {

	static final Undefined INSTANCE = new Undefined();

	private Undefined() {
	}

	@Override
	public String toString() {
		return "";
	}

}
