/**
 * A Jinja interpreter for Hugging Face chat templates, with the Python string and dict methods they call.
 */
@NullMarked
package dev.vlcache.core.template.jinja;

import org.jspecify.annotations.NullMarked;
