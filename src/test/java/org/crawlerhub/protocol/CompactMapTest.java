package org.crawlerhub.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("CompactMap: the parsed JSON object's map behaves as a LinkedHashMap does")
class CompactMapTest {

  /** Names whose hashes share low bits ("Aa" and "BB" hash alike), some built at run time (not interned). */
  private static final String[] NAMES = {"Aa", "BB", "processed", "total", "stage", "a", "b", "c", "d", "e",
      "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", null};

  private static String name(Random r) {
    String n = NAMES[r.nextInt(NAMES.length)];
    return n != null && r.nextBoolean() ? new String(n.toCharArray()) : n;
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42, 1234})
  @DisplayName("any sequence of map operations gives the same contents and order as a LinkedHashMap")
  void behavesAsLinkedHashMap(long seed) {
    // GIVEN the same random operations on both maps
    Random r = new Random(seed);
    Map<String, Object> model = new LinkedHashMap<>();
    Map<String, Object> map = new CompactMap();
    for (int step = 0; step < 5_000; step++) {
      String k = name(r);
      Integer v = r.nextInt(5) == 0 ? null : r.nextInt(100);
      // WHEN one operation runs on each
      switch (r.nextInt(11)) {
        case 0, 1, 2 -> assertThat(map.put(k, v)).isEqualTo(model.put(k, v));
        case 3 -> assertThat(map.remove(k)).isEqualTo(model.remove(k));
        case 4 -> assertThat(map.get(k)).isEqualTo(model.get(k));
        case 5 -> assertThat(map.containsKey(k)).isEqualTo(model.containsKey(k));
        case 6 -> assertThat(map.putIfAbsent(k, v)).isEqualTo(model.putIfAbsent(k, v));
        case 7 -> { // remove through the iterator, every other member
          removeEveryOther(map.entrySet().iterator());
          removeEveryOther(model.entrySet().iterator());
        }
        case 8 -> { // write through the entries
          map.entrySet().forEach(e -> e.setValue(String.valueOf(e.getValue())));
          model.entrySet().forEach(e -> e.setValue(String.valueOf(e.getValue())));
        }
        case 9 -> assertThat(map.containsValue(v)).isEqualTo(model.containsValue(v));
        default -> {
          if (r.nextInt(20) == 0) {
            map.clear();
            model.clear();
          }
        }
      }
      // THEN both hold the same members in the same order
      assertThat(new ArrayList<>(map.entrySet())).isEqualTo(new ArrayList<>(model.entrySet()));
      assertThat(map).isEqualTo(model).hasSameHashCodeAs(model).hasSize(model.size());
      List<Object> seen = new ArrayList<>();
      map.forEach((name, value) -> seen.add(name + "=" + value));
      assertThat(seen).isEqualTo(model.entrySet().stream().map(e -> (Object) (e.getKey() + "=" + e.getValue())).toList());
    }
  }

  private static void removeEveryOther(Iterator<Map.Entry<String, Object>> it) {
    boolean drop = false;
    while (it.hasNext()) {
      it.next();
      if (drop) {
        it.remove();
      }
      drop = !drop;
    }
  }

  @Test
  @DisplayName("a change behind an iterator's back is reported, as by the JDK's maps")
  void failsFast() {
    // GIVEN a map being iterated
    Map<String, Object> map = new CompactMap();
    map.put("a", 1);
    map.put("b", 2);
    Iterator<Map.Entry<String, Object>> it = map.entrySet().iterator();
    it.next();
    // WHEN a member is added outside the iterator; THEN the iterator refuses to go on
    map.put("c", 3);
    assertThatThrownBy(it::next).isInstanceOf(ConcurrentModificationException.class);
    assertThatThrownBy(() -> map.forEach((k, v) -> map.remove("a"))).isInstanceOf(ConcurrentModificationException.class);
  }

  @Test
  @DisplayName("JsonTree builds small objects as CompactMaps, objects over 32 members as linked maps, both in text order")
  void jsonTreeChoosesTheMap() {
    // GIVEN objects of 32 and of 33 members, each with a duplicate name near the end
    for (int members : new int[] {0, 1, 32, 33, 1000}) {
      StringBuilder json = new StringBuilder("{");
      for (int i = 0; i < members; i++) {
        json.append(i == 0 ? "" : ",").append("\"m").append(members - i).append("\":").append(i);
      }
      if (members > 0) {
        json.append(",\"m").append(members).append("\":\"again\""); // the first name, last value wins
      }
      // WHEN parsed
      JsonObject o = (JsonObject) JsonTree.parse(Buffer.buffer(json.append('}').toString()));
      // THEN the map kind depends on the size, the order is the text's, the duplicate kept its place
      assertThat(o.getMap()).isInstanceOf(members <= CompactMap.MAX_PARSED ? CompactMap.class : LinkedHashMap.class);
      assertThat(o.size()).isEqualTo(members);
      if (members > 0) {
        assertThat(o.fieldNames().iterator().next()).isEqualTo("m" + members);
        assertThat(o.getValue("m" + members)).isEqualTo("again");
        assertThat(o.getValue(new String(("m" + members).toCharArray()))).isEqualTo("again");
      }
      assertThat(o.encode()).isEqualTo(new JsonObject(new LinkedHashMap<>(o.getMap())).encode());
    }
  }

  @Test
  @DisplayName("a parsed object round-trips through Vert.x: encode, getJsonObject, equals with a decoded one")
  void worksInsideJsonObject() {
    // GIVEN a parsed envelope and the same text decoded by Vert.x
    String json = "{\"type\":\"job_progress\",\"jobId\":\"j1\",\"data\":{\"processed\":5,\"itemCounts\":{\"issues\":5}}}";
    JsonObject parsed = (JsonObject) JsonTree.parse(Buffer.buffer(json));
    JsonObject vertx = new JsonObject(json);
    // THEN they are equal both ways, encode to the same text, and nested objects wrap the same map
    assertThat(parsed).isEqualTo(vertx);
    assertThat(vertx).isEqualTo(parsed);
    assertThat(parsed.encode()).isEqualTo(json);
    assertThat(parsed.getJsonObject("data").getJsonObject("itemCounts").getInteger("issues")).isEqualTo(5);
    // WHEN changed through the JsonObject API
    parsed.getJsonObject("data").put("total", 10).remove("processed");
    parsed.put("extra", true);
    // THEN the change is visible in the tree and in its text
    assertThat(parsed.encode()).isEqualTo(
        "{\"type\":\"job_progress\",\"jobId\":\"j1\",\"data\":{\"itemCounts\":{\"issues\":5},\"total\":10},\"extra\":true}");
  }
}
