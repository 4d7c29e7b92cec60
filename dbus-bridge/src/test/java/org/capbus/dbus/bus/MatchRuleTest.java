package org.capbus.dbus.bus;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatchRuleTest {

    private static MatchRule rule(String text) {
        MatchRuleParseResult result = MatchRule.parse(text);
        assertThat(result.isValid()).as("%s: %s", text, result.message()).isTrue();
        return result.rule();
    }

    /** Valid rules and their canonical form, which spells out every parsed field. */
    @ParameterizedTest(name = "[{0}] -> [{1}]")
    @CsvSource(delimiter = '|', quoteCharacter = '"', emptyValue = "", textBlock = """
            ""                                               | ""
            "   "                                            | ""
            type='signal'                                    | type='signal'
            type=signal                                      | type='signal'
            type='method_call'                               | type='method_call'
            type='method_return'                             | type='method_return'
            type='error'                                     | type='error'
            "  type ='signal',  member='Foo',"               | type='signal',member='Foo'
            "type\t ='signal',\n member='Foo'"              | type='signal',member='Foo'
            sender='org.freedesktop.DBus'                    | sender='org.freedesktop.DBus'
            sender=':1.42'                                   | sender=':1.42'
            sender='org.ex-ample._x'                         | sender='org.ex-ample._x'
            interface='org.example.Iface'                    | interface='org.example.Iface'
            member='Changed'                                 | member='Changed'
            member='_1'                                      | member='_1'
            path='/'                                         | path='/'
            path='/org/example_1/A'                          | path='/org/example_1/A'
            path_namespace='/org'                            | path_namespace='/org'
            path_namespace='/'                               | path_namespace='/'
            destination=':1.7'                               | destination=':1.7'
            eavesdrop='true'                                 | eavesdrop='true'
            eavesdrop='false'                                | ""
            eavesdrop='true',eavesdrop='false'               | ""
            arg0='hello'                                     | arg0='hello'
            arg63='x'                                        | arg63='x'
            arg00='x'                                        | arg0='x'
            arg0path='/aa/bb/'                               | arg0path='/aa/bb/'
            arg1path='not a path at all'                     | arg1path='not a path at all'
            arg0namespace='com.example'                      | arg0namespace='com.example'
            arg0namespace='com'                              | arg0namespace='com'
            arg0namespace=':1'                               | arg0namespace=':1'
            arg0=''                                          | arg0=''
            arg0=                                            | arg0=''
            arg3='a,b'                                       | arg3='a,b'
            arg0='it'\\''s'                                  | arg0='it'\\''s'
            arg0=it\\'s                                      | arg0='it'\\''s'
            arg0=''\\'''                                     | arg0=''\\'''
            arg0='a\\b'                                      | arg0='a\\b'
            arg0=a\\b                                        | arg0='a\\b'
            arg0=a\\                                         | arg0='a\\'
            arg0=''''                                        | arg0=''
            arg0='a''b'                                      | arg0='ab'
            arg0=a'b'c                                       | arg0='abc'
            arg0='  spaced  '                                | arg0='  spaced  '
            arg0=x y                                         | arg0='x y'
            arg0='=,'                                        | arg0='=,'
            arg0='ünï'                                       | arg0='ünï'
            arg2='c',arg0='a'                                | arg0='a',arg2='c'
            member='M',type='signal',interface='a.b',sender=':1.1',path='/p',destination=':1.2',eavesdrop=true,arg1='y' | type='signal',interface='a.b',member='M',path='/p',sender=':1.1',destination=':1.2',eavesdrop='true',arg1='y'
            """)
    void shouldParseValidRule(String text, String canonical) {
        MatchRule parsed = rule(text);

        assertThat(parsed.toString()).isEqualTo(canonical);
        assertThat(rule(parsed.toString())).isEqualTo(parsed);
    }

    /** Invalid rules, each with a fragment of the reason given. */
    @ParameterizedTest(name = "[{0}] -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            type='bogus'                               | Invalid message type
            type=''                                    | Invalid message type
            type='SIGNAL'                              | Invalid message type
            "type= 'signal'"                           | Invalid message type
            "type='signal' "                           | Invalid message type
            "type='signal' ,member='A'"                | Invalid message type
            "type=\t'signal'"                          | Invalid message type
            type='signal',type='signal'                | specified twice
            type                                       | no subsequent '='
            type='signal',member                       | no subsequent '='
            ='x'                                       | empty key
            type='signal',,member='x'                  | Unknown key
            foo='bar'                                  | Unknown key
            Type='signal'                              | Unknown key
            sender='1bad.name'                         | Sender name
            sender='org..x'                            | Sender name
            sender=':'                                 | Sender name
            sender=':1'                                | Sender name
            sender='single'                            | Sender name
            sender=''                                  | Sender name
            sender=':1.1',sender=':1.1'                | specified twice
            interface='noDots'                         | Interface name
            interface='org.ex-ample.I'                 | Interface name
            interface='org.1x'                         | Interface name
            interface='a.b',interface='a.b'            | specified twice
            member='Foo.Bar'                           | Member name
            member='1Foo'                              | Member name
            member=''                                  | Member name
            member='a-b'                               | Member name
            member='A',member='A'                      | specified twice
            path='no/slash'                            | Path
            path='/trailing/'                          | Path
            path='//'                                  | Path
            path=''                                    | Path
            path='/a-b'                                | Path
            path_namespace='/x/'                       | Path
            path='/a',path_namespace='/b'              | path or path_namespace specified twice
            path_namespace='/a',path='/a'              | path or path_namespace specified twice
            path='/a',path='/a'                        | path or path_namespace specified twice
            destination='no'                           | Destination name
            destination=':1.1',destination=':1.1'      | specified twice
            eavesdrop='yes'                            | eavesdrop='yes' is invalid
            eavesdrop=''                               | is invalid
            arg='x'                                    | lacks an arg number
            argx='x'                                   | lacks an arg number
            arg64='x'                                  | maximum is 63
            arg99999999999999999999='x'                | maximum is 63
            arg64path='/'                              | maximum is 63
            arg0foo='x'                                | junk after argument number
            arg1namespace='a.b'                        | junk after argument number
            arg00namespace='a'                         | junk after argument number
            arg0paths='/'                              | junk after argument number
            arg0namespace='a..b'                       | not a valid prefix
            arg0namespace=''                           | not a valid prefix
            arg0namespace='com.'                       | not a valid prefix
            arg0namespace='1com'                       | not a valid prefix
            arg0='a',arg0='b'                          | matched more than once
            arg0='a',arg0path='/'                      | matched more than once
            arg0namespace='a',arg0='a'                 | matched more than once
            arg0='it\\'s'                              | Unbalanced quotation marks
            arg0='unterminated                         | Unbalanced quotation marks
            arg0='a',member='b'c'                      | Unbalanced quotation marks
            """)
    void shouldRejectInvalidRule(String text, String reason) {
        MatchRuleParseResult result = MatchRule.parse(text);

        assertThat(result.isValid()).as(text).isFalse();
        assertThat(result.rule()).isNull();
        assertThat(result.failure()).isEqualTo(MatchRuleParseResult.Failure.INVALID);
        assertThat(result.message()).contains(reason);
    }

    @Test
    void shouldLimitRuleTextTo1024BytesOfUtf8() {
        String prefix = "arg0='";
        String ascii1024 = prefix + "x".repeat(1024 - prefix.length() - 1) + "'";
        String ascii1025 = prefix + "x".repeat(1025 - prefix.length() - 1) + "'";
        // 'é' is two bytes: 508 of them make 1016 bytes, plus 7 of quoting and key = 1023; one 'x' more = 1024.
        String utf8At1024 = prefix + "é".repeat(508) + "x'";
        String utf8At1025 = prefix + "é".repeat(508) + "xx'";

        assertThat(MatchRule.parse(ascii1024).isValid()).isTrue();
        assertThat(MatchRule.parse(utf8At1024).isValid()).isTrue();
        MatchRuleParseResult tooLong = MatchRule.parse(ascii1025);
        assertThat(tooLong.failure()).isEqualTo(MatchRuleParseResult.Failure.TOO_LONG);
        assertThat(tooLong.message()).contains("1025 bytes, maximum is 1024");
        assertThat(MatchRule.parse(utf8At1025).failure()).isEqualTo(MatchRuleParseResult.Failure.TOO_LONG);
    }

    @Test
    void shouldExposeParsedFields() {
        MatchRule r = rule("type='signal',sender='org.example.S',interface='org.example.I',member='M',"
                + "path_namespace='/org/example',destination=':1.9',eavesdrop='true',arg2path='/x/',arg0namespace='a.b'");

        assertThat(r.type()).isEqualTo(MatchableMessage.SIGNAL);
        assertThat(r.sender()).isEqualTo("org.example.S");
        assertThat(r.interfaceName()).isEqualTo("org.example.I");
        assertThat(r.member()).isEqualTo("M");
        assertThat(r.path()).isNull();
        assertThat(r.pathNamespace()).isEqualTo("/org/example");
        assertThat(r.destination()).isEqualTo(":1.9");
        assertThat(r.eavesdrop()).isTrue();
        assertThat(r.argCount()).isEqualTo(3);
        assertThat(r.arg(0)).isEqualTo("a.b");
        assertThat(r.argMatch(0)).isEqualTo(MatchRule.ArgMatch.NAMESPACE);
        assertThat(r.arg(1)).isNull();
        assertThat(r.argMatch(1)).isNull();
        assertThat(r.arg(2)).isEqualTo("/x/");
        assertThat(r.argMatch(2)).isEqualTo(MatchRule.ArgMatch.PATH);
        assertThat(r.arg(40)).isNull();
        assertThat(r.argMatch(40)).isNull();
    }

    @Test
    void shouldCompareRulesByParsedContent() {
        MatchRule a = rule("type='signal',member='M',arg1='x'");
        MatchRule b = rule("  arg1=x,member=M,type=signal,eavesdrop=false");

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(rule("type='signal',member='M',arg1='x',eavesdrop='true'"));
        assertThat(a).isNotEqualTo(rule("type='signal',member='M',arg1path='x'"));
        assertThat(a).isNotEqualTo(rule("type='signal',member='M'"));
        assertThat(rule("path='/a'")).isNotEqualTo(rule("path_namespace='/a'"));
        assertThat(a.withEavesdrop(false)).isSameAs(a);
        assertThat(a.withEavesdrop(true)).isEqualTo(rule("type='signal',member='M',arg1='x',eavesdrop='true'"));
        assertThat(a).isNotEqualTo("type='signal',member='M',arg1='x'");
    }

    // ---- matching ----

    @Test
    void shouldMatchEverythingBroadcastWithEmptyRule() {
        MatchRule any = rule("");

        assertThat(any.matches(TestMessage.signal(":1.1", "/", "a.b", "M"), null, NameOwnership.NONE)).isTrue();
        assertThat(any.matches(TestMessage.signal(":1.1", "/", "a.b", "M").type(MatchableMessage.METHOD_CALL),
                null, NameOwnership.NONE)).isTrue();
        assertThat(any.matches(TestMessage.signal(":1.1", "/", "a.b", "M").to(":1.2"), ":1.2",
                NameOwnership.NONE)).isFalse();
    }

    @Test
    void shouldMatchHeaderFields() {
        TestMessage m = TestMessage.signal(":1.1", "/org/example", "org.example.I", "Changed");

        assertThat(rule("type='signal'").matches(m, null, NameOwnership.NONE)).isTrue();
        assertThat(rule("type='method_call'").matches(m, null, NameOwnership.NONE)).isFalse();
        assertThat(rule("interface='org.example.I'").matches(m, null, NameOwnership.NONE)).isTrue();
        assertThat(rule("interface='org.example.J'").matches(m, null, NameOwnership.NONE)).isFalse();
        assertThat(rule("member='Changed'").matches(m, null, NameOwnership.NONE)).isTrue();
        assertThat(rule("member='Other'").matches(m, null, NameOwnership.NONE)).isFalse();
        assertThat(rule("path='/org/example'").matches(m, null, NameOwnership.NONE)).isTrue();
        assertThat(rule("path='/org'").matches(m, null, NameOwnership.NONE)).isFalse();
        assertThat(rule("sender=':1.1'").matches(m, null, NameOwnership.NONE)).isTrue();
        assertThat(rule("sender=':1.2'").matches(m, null, NameOwnership.NONE)).isFalse();

        TestMessage bare = TestMessage.signal(":1.1", null, null, null);
        assertThat(rule("interface='org.example.I'").matches(bare, null, NameOwnership.NONE)).isFalse();
        assertThat(rule("member='Changed'").matches(bare, null, NameOwnership.NONE)).isFalse();
        assertThat(rule("path='/org/example'").matches(bare, null, NameOwnership.NONE)).isFalse();
        assertThat(rule("path_namespace='/'").matches(bare, null, NameOwnership.NONE)).isFalse();
    }

    @ParameterizedTest(name = "path_namespace={0} path={1} -> {2}")
    @CsvSource({
            "/com/example/foo, /com/example/foo, true",
            "/com/example/foo, /com/example/foo/bar, true",
            "/com/example/foo, /com/example/foo/bar/baz, true",
            "/com/example/foo, /com/example/foobar, false",
            "/com/example/foo, /com/example, false",
            "/com/example/foo, /, false",
            "/, /, true",
            "/, /anything/at/all, true",
    })
    void shouldMatchPathNamespace(String namespace, String path, boolean expected) {
        TestMessage m = TestMessage.signal(":1.1", path, "a.b", "M");

        assertThat(rule("path_namespace='" + namespace + "'").matches(m, null, NameOwnership.NONE)).isEqualTo(expected);
    }

    /** The specification's examples for argNpath, with the argument as STRING and as OBJECT_PATH. */
    @ParameterizedTest(name = "arg0path={0} arg0={1} -> {2}")
    @CsvSource({
            "/aa/bb/, /, true",
            "/aa/bb/, /aa/, true",
            "/aa/bb/, /aa/bb/, true",
            "/aa/bb/, /aa/bb/cc/, true",
            "/aa/bb/, /aa/bb/cc, true",
            "/aa/bb/, /aa/b, false",
            "/aa/bb/, /aa, false",
            "/aa/bb/, /aa/bb, false",
            "/aa/bb, /aa/bb, true",
            "/aa/bb, /aa/bb/, false",
            "/aa/bb, /aa/bb/cc, false",
            "/aa/bb, /aa/, true",
            "/, /anything, true",
    })
    void shouldMatchArgPath(String value, String argument, boolean expected) {
        MatchRule r = rule("arg0path='" + value + "'");

        assertThat(r.matches(TestMessage.signal(":1.1", "/", "a.b", "M").arg(0, argument), null, NameOwnership.NONE))
                .isEqualTo(expected);
        assertThat(r.matches(TestMessage.signal(":1.1", "/", "a.b", "M").pathArg(0, argument), null,
                NameOwnership.NONE)).isEqualTo(expected);
    }

    @Test
    void shouldNotMatchEmptyArgPathAgainstNonEmptyValue() {
        assertThat(MatchRule.pathArgMatches("/a/", "")).isFalse();
        assertThat(MatchRule.pathArgMatches("", "/a/")).isFalse();
        assertThat(MatchRule.pathArgMatches("", "")).isTrue();
    }

    /** The specification's examples for arg0namespace. */
    @ParameterizedTest(name = "arg0namespace={0} arg0={1} -> {2}")
    @CsvSource({
            "com.example.backend1, com.example.backend1, true",
            "com.example.backend1, com.example.backend1.foo, true",
            "com.example.backend1, com.example.backend1.foo.bar, true",
            "com.example.backend1, com.example.backend2, false",
            "com.example.backend1, com.example.backend12, false",
            "com.example.backend1, com.example, false",
            "com, com.example, true",
    })
    void shouldMatchArg0Namespace(String value, String argument, boolean expected) {
        MatchRule r = rule("arg0namespace='" + value + "'");

        assertThat(r.matches(TestMessage.signal(":1.1", "/", "a.b", "M").arg(0, argument), null, NameOwnership.NONE))
                .isEqualTo(expected);
        // Only STRING arguments take part in namespace matches.
        assertThat(r.matches(TestMessage.signal(":1.1", "/", "a.b", "M").pathArg(0, argument), null,
                NameOwnership.NONE)).isFalse();
    }

    @Test
    void shouldMatchStringArgsOnlyAgainstStrings() {
        MatchRule r = rule("arg0='/x',arg2='z'");
        TestMessage base = TestMessage.signal(":1.1", "/", "a.b", "M");

        assertThat(r.matches(base.arg(0, "/x").arg(2, "z"), null, NameOwnership.NONE)).isTrue();
        assertThat(r.matches(TestMessage.signal(":1.1", "/", "a.b", "M").arg(0, "/x"), null, NameOwnership.NONE))
                .isFalse();
        assertThat(r.matches(TestMessage.signal(":1.1", "/", "a.b", "M").pathArg(0, "/x").arg(2, "z"), null,
                NameOwnership.NONE)).isFalse();
        assertThat(r.matches(TestMessage.signal(":1.1", "/", "a.b", "M").arg(0, "/x").arg(2, "Z"), null,
                NameOwnership.NONE)).isFalse();
        assertThat(rule("arg0=''").matches(TestMessage.signal(":1.1", "/", "a.b", "M").arg(0, ""), null,
                NameOwnership.NONE)).isTrue();
        assertThat(rule("arg0=''").matches(TestMessage.signal(":1.1", "/", "a.b", "M"), null,
                NameOwnership.NONE)).isFalse();
    }

    @Test
    void shouldMatchWellKnownSenderOnlyWhileItsCurrentPrimaryOwner() {
        NameRegistry<TestConnection> names = new NameRegistry<>();
        TestConnection a = new TestConnection(":1.1");
        TestConnection b = new TestConnection(":1.2");
        MatchRule r = rule("sender='com.example.Svc'");
        TestMessage fromA = TestMessage.signal(":1.1", "/", "a.b", "M");
        TestMessage fromB = TestMessage.signal(":1.2", "/", "a.b", "M");

        assertThat(r.matches(fromA, null, names)).isFalse();
        names.requestName("com.example.Svc", a, 0);
        names.requestName("com.example.Svc", b, 0);
        assertThat(r.matches(fromA, null, names)).isTrue();
        assertThat(r.matches(fromB, null, names)).isFalse();
        names.releaseName("com.example.Svc", a);
        assertThat(r.matches(fromA, null, names)).isFalse();
        assertThat(r.matches(fromB, null, names)).isTrue();
    }

    @Test
    void shouldMatchDriverAsSenderByItsName() {
        MatchRule r = rule("sender='org.freedesktop.DBus',member='NameOwnerChanged'");
        TestMessage fromDriver = TestMessage.signal(BusNames.BUS_NAME, "/org/freedesktop/DBus",
                "org.freedesktop.DBus", "NameOwnerChanged");

        assertThat(r.matches(fromDriver, null, NameOwnership.NONE)).isTrue();
        assertThat(r.matches(TestMessage.signal(":1.5", "/", "org.freedesktop.DBus", "NameOwnerChanged"), null,
                NameOwnership.NONE)).isFalse();
    }

    @Test
    void shouldMatchUnicastOnlyWhenEavesdropping() {
        TestMessage call = TestMessage.signal(":1.1", "/p", "a.b", "M").type(MatchableMessage.METHOD_CALL).to(":1.2");

        assertThat(rule("type='method_call'").matches(call, ":1.2", NameOwnership.NONE)).isFalse();
        assertThat(rule("type='method_call',eavesdrop='true'").matches(call, ":1.2", NameOwnership.NONE)).isTrue();
        assertThat(rule("destination=':1.2'").matches(call, ":1.2", NameOwnership.NONE)).isFalse();
        assertThat(rule("destination=':1.2',eavesdrop='true'").matches(call, ":1.2", NameOwnership.NONE)).isTrue();
        assertThat(rule("destination=':1.3',eavesdrop='true'").matches(call, ":1.2", NameOwnership.NONE)).isFalse();
        TestMessage broadcast = TestMessage.signal(":1.1", "/p", "a.b", "M");
        assertThat(rule("destination=':1.2',eavesdrop='true'").matches(broadcast, null, NameOwnership.NONE))
                .isFalse();
    }

    @Test
    void shouldMatchDestinationByWellKnownNameOfAddressedRecipient() {
        NameRegistry<TestConnection> names = new NameRegistry<>();
        names.requestName("com.example.Svc", new TestConnection(":1.2"), 0);
        TestMessage byUnique = TestMessage.signal(":1.1", "/p", "a.b", "M").type(MatchableMessage.METHOD_CALL)
                .to(":1.2");
        TestMessage byName = TestMessage.signal(":1.1", "/p", "a.b", "M").type(MatchableMessage.METHOD_CALL)
                .to("com.example.Svc");
        MatchRule wellKnown = rule("destination='com.example.Svc',eavesdrop='true'");
        MatchRule unique = rule("destination=':1.2',eavesdrop='true'");

        assertThat(wellKnown.matches(byUnique, ":1.2", names)).isTrue();
        assertThat(wellKnown.matches(byName, ":1.2", names)).isTrue();
        assertThat(unique.matches(byName, ":1.2", names)).isTrue();
        // Not yet activated: compared with the destination the sender wrote.
        assertThat(wellKnown.matches(byName, null, names)).isTrue();
        assertThat(unique.matches(byName, null, names)).isFalse();
        TestMessage toDriver = TestMessage.signal(":1.1", "/", "org.freedesktop.DBus", "Hello")
                .type(MatchableMessage.METHOD_CALL).to(BusNames.BUS_NAME);
        assertThat(rule("destination='org.freedesktop.DBus',eavesdrop='true'").matches(toDriver, null, names))
                .isTrue();
    }
}
