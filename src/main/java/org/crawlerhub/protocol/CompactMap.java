package org.crawlerhub.protocol;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The map of a small JSON object as {@link JsonTree} builds it: names and values side by side in
 * one array, in insertion order, found by a linear scan (names from the parser are interned, so
 * the scan mostly compares references).
 *
 * <p>Why not {@link java.util.LinkedHashMap}: a protocol object has a handful of members, and a
 * linked map spends a map object, a 16-slot table and a 40-byte entry per member on it — more than
 * half of what the hub allocated per {@code job_progress} line (bench/RESULTS.md, session 13). This
 * one is an object and one exactly sized array. A well-kept library has such a map (fastutil's
 * {@code Object2ObjectArrayMap}), but as a 20 MB jar for one class.
 *
 * <p>A general {@link Map} (null names and values allowed, a later {@code put} of a name keeps its
 * place, the entry-set iterator removes), with lookups linear in the size: {@link JsonTree} builds
 * it only for objects of at most {@link #MAX_PARSED} members. Not thread-safe, like the linked map.
 * Vert.x's {@code JsonObject.copy()} keeps the order of a LinkedHashMap only; a copy of a parsed
 * object is a HashMap (JSON objects are unordered, and PostgreSQL's jsonb, where copies end up,
 * keeps no order either).
 */
final class CompactMap extends AbstractMap<String, Object> {
  /** Objects with more members are parsed into a LinkedHashMap. */
  static final int MAX_PARSED = 32;
  private static final Object[] NONE = {};

  /** name at 2i, value at 2i + 1. */
  private Object[] slots;
  private int size;
  private int modCount;
  /**
   * One bit per name's hash (its low six bits): a name whose bit is not set is not here, so a
   * lookup of an absent name (the validator asks for every optional field) mostly costs no scan.
   */
  private long names;

  CompactMap() {
    this.slots = NONE;
  }

  /**
   * Takes {@code slots} (names and values of distinct names, {@code size} pairs) as its own;
   * {@code names} has at least the {@link #bit}s of those names.
   */
  CompactMap(Object[] slots, int size, long names) {
    this.slots = slots;
    this.size = size;
    this.names = names;
  }

  /** The bit of a name in a map's name bits. */
  static long bit(Object name) {
    return name == null ? 1L : 1L << name.hashCode(); // the shift takes the low six bits
  }

  private static long namesOf(Object[] slots, int size) {
    long bits = 0;
    for (int i = 0; i < size << 1; i += 2) {
      bits |= bit(slots[i]);
    }
    return bits;
  }

  /** The name of the {@code i}th member, in insertion order. */
  String nameAt(int i) {
    Objects.checkIndex(i, size);
    return (String) slots[i << 1];
  }

  /** The value of the {@code i}th member, in insertion order. */
  Object valueAt(int i) {
    Objects.checkIndex(i, size);
    return slots[(i << 1) + 1];
  }

  private int slotOf(Object name) {
    if ((names & bit(name)) == 0) {
      return -1;
    }
    Object[] s = slots;
    int end = size << 1;
    if (name == null) {
      for (int i = 0; i < end; i += 2) {
        if (s[i] == null) {
          return i;
        }
      }
      return -1;
    }
    for (int i = 0; i < end; i += 2) { // parsed names and literals are interned: found by reference
      if (s[i] == name) {
        return i;
      }
    }
    for (int i = 0; i < end; i += 2) {
      if (name.equals(s[i])) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public boolean isEmpty() {
    return size == 0;
  }

  @Override
  public boolean containsKey(Object name) {
    return slotOf(name) >= 0;
  }

  @Override
  public boolean containsValue(Object value) {
    Object[] s = slots;
    int end = size << 1;
    for (int i = 1; i < end; i += 2) {
      if (Objects.equals(value, s[i])) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Object get(Object name) {
    int i = slotOf(name);
    return i < 0 ? null : slots[i + 1];
  }

  @Override
  public Object getOrDefault(Object name, Object defaultValue) {
    int i = slotOf(name);
    return i < 0 ? defaultValue : slots[i + 1];
  }

  @Override
  public Object put(String name, Object value) {
    int i = slotOf(name);
    if (i >= 0) {
      Object old = slots[i + 1];
      slots[i + 1] = value;
      return old;
    }
    int end = size << 1;
    if (end == slots.length) {
      slots = Arrays.copyOf(slots, Math.max(8, end * 2));
    }
    slots[end] = name;
    slots[end + 1] = value;
    names |= bit(name);
    size++;
    modCount++;
    return null;
  }

  @Override
  public Object remove(Object name) {
    int i = slotOf(name);
    if (i < 0) {
      return null;
    }
    Object old = slots[i + 1];
    removeSlot(i);
    return old;
  }

  private void removeSlot(int i) {
    int end = size << 1;
    System.arraycopy(slots, i + 2, slots, i, end - i - 2);
    slots[end - 2] = null;
    slots[end - 1] = null;
    size--;
    names = namesOf(slots, size);
    modCount++;
  }

  @Override
  public void clear() {
    Arrays.fill(slots, 0, size << 1, null);
    size = 0;
    names = 0;
    modCount++;
  }

  @Override
  public void forEach(BiConsumer<? super String, ? super Object> action) {
    int expected = modCount;
    for (int i = 0; i < size; i++) {
      action.accept((String) slots[i << 1], slots[(i << 1) + 1]);
      if (modCount != expected) {
        throw new ConcurrentModificationException();
      }
    }
  }

  @Override
  public Set<Map.Entry<String, Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return size;
      }

      @Override
      public void clear() {
        CompactMap.this.clear();
      }

      @Override
      public Iterator<Map.Entry<String, Object>> iterator() {
        return new Iterator<>() {
          private int next;
          private int last = -1;
          private int expected = modCount;

          @Override
          public boolean hasNext() {
            return next < size;
          }

          @Override
          public Map.Entry<String, Object> next() {
            if (modCount != expected) {
              throw new ConcurrentModificationException();
            }
            if (next >= size) {
              throw new NoSuchElementException();
            }
            last = next++;
            return new Member((String) slots[last << 1]);
          }

          @Override
          public void remove() {
            if (last < 0) {
              throw new IllegalStateException();
            }
            if (modCount != expected) {
              throw new ConcurrentModificationException();
            }
            removeSlot(last << 1);
            next = last;
            last = -1;
            expected = modCount;
          }
        };
      }
    };
  }

  /** An entry that reads and writes the map by its name (stays right when earlier members go). */
  private final class Member implements Map.Entry<String, Object> {
    private final String name;

    Member(String name) {
      this.name = name;
    }

    @Override
    public String getKey() {
      return name;
    }

    @Override
    public Object getValue() {
      return get(name);
    }

    @Override
    public Object setValue(Object value) {
      int i = slotOf(name);
      if (i < 0) {
        throw new IllegalStateException("member " + name + " was removed");
      }
      Object old = slots[i + 1];
      slots[i + 1] = value;
      return old;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Map.Entry<?, ?> e && Objects.equals(name, e.getKey())
          && Objects.equals(getValue(), e.getValue());
    }

    @Override
    public int hashCode() {
      return Objects.hashCode(name) ^ Objects.hashCode(getValue());
    }

    @Override
    public String toString() {
      return name + "=" + getValue();
    }
  }
}
