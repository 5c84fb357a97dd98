// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GJS: errors as GLib.Error in the ES_ERROR domain (lifecycle, builder
// validation, backpressure), plain data and GLib.Bytes payloads, on both
// implementations.
//
//   GI_TYPELIB_PATH=_build/introspection LD_LIBRARY_PATH=_build/eventsys \
//     gjs introspection/tests/test_errors.js

imports.searchPath.unshift(imports.gi.GLib.path_get_dirname(imports.system.programPath));
const Tap = imports.tap;
const {EventSys, Gio, GLib} = imports.gi;
const {Tick, assert, assertEqual, assertDeepEqual, assertEsError, assertThrowsEs,
    makeSystem, withTimeout, forEachImplementation, test} = Tap;

Gio._promisify(EventSys.Subscriber.prototype, 'receive_async', 'receive_finish');

const E = EventSys.Error;
const PACKET = EventSys.event_type_register_plain_named('JsPacket', 16);

function packet(i) {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setUint32(0, i, true);
    data.fill(0xab, 4);
    return data;
}

async function rejection(promise) {
    try {
        await withTimeout(promise);
    } catch (e) {
        return e;
    }
    throw new Error('expected the promise to reject');
}

test('error_domain', () => {
    assertEqual(GLib.quark_to_string(EventSys.error_quark()), 'es-error-quark');
    const e = new GLib.Error(EventSys.error_quark(), E.BACKPRESSURE, 'full');
    assert(EventSys.error_is_backpressure(e));
    assert(!EventSys.error_is_backpressure(new GLib.Error(EventSys.error_quark(), E.CLOSED, 'closed')));
});

forEachImplementation('publish_before_start', impl => {
    const system = makeSystem(impl, {}, false);
    assertEqual(system.get_state(), EventSys.EventSystemState.CREATED);
    const pub = system.create_publisher(Tick.$gtype);
    assertThrowsEs(() => pub.publish_object(new Tick(), null), E.NOT_STARTED);
    assertThrowsEs(() => pub.publish(EventSys.Event.new_object(new Tick()), null), E.NOT_STARTED);
});

forEachImplementation('publish_after_shutdown', impl => {
    const system = makeSystem(impl);
    const pub = system.create_publisher(Tick.$gtype);
    assert(system.shutdown());
    assertThrowsEs(() => pub.publish_object(new Tick(), null), E.SHUT_DOWN);
});

forEachImplementation('start_twice', impl => {
    const system = makeSystem(impl);
    assertThrowsEs(() => system.start(), E.INVALID_STATE);
});

forEachImplementation('receive_after_shutdown_closed', async impl => {
    const system = makeSystem(impl);
    const sub = system.subscribe(Tick.$gtype);
    const pub = system.create_publisher(Tick.$gtype);
    pub.publish_object(new Tick({n: 1}), null);
    pub.publish_object(new Tick({n: 2}), null);
    system.shutdown();
    assert(sub.is_closed());
    assertEqual(sub.receive(null).get_object().n, 1);
    assertEqual((await withTimeout(sub.receive_async(null))).get_object().n, 2);
    assertThrowsEs(() => sub.receive(null), E.CLOSED);
    assertThrowsEs(() => sub.try_receive(), E.CLOSED);
    assertEsError(await rejection(sub.receive_async(null)), E.CLOSED);
});

forEachImplementation('shutdown_wakes_pending_receive_async', async impl => {
    const system = makeSystem(impl);
    const sub = system.subscribe(Tick.$gtype);
    const pending = sub.receive_async(null);
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 20, () => {
        system.shutdown();
        return GLib.SOURCE_REMOVE;
    });
    assertEsError(await rejection(pending), E.CLOSED);
});

forEachImplementation('attached_source_ends_on_shutdown', async impl => {
    const system = makeSystem(impl);
    const sub = system.subscribe(Tick.$gtype);
    const pub = system.create_publisher(Tick.$gtype);
    const got = [];
    const id = sub.attach(null, (s, ev) => {
        got.push(ev.get_object().n);
        return true;
    });
    for (let i = 0; i < 3; i++)
        pub.publish_object(new Tick({n: i}), null);
    system.shutdown();
    await withTimeout(new Promise(resolve => {
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 5, () => {
            if (GLib.MainContext.default().find_source_by_id(id) !== null)
                return GLib.SOURCE_CONTINUE;
            resolve();
            return GLib.SOURCE_REMOVE;
        });
    }), 3000, 'source removal');
    assertDeepEqual(got, [0, 1, 2]);
});

forEachImplementation('try_receive_empty_is_null', impl => {
    const system = makeSystem(impl);
    const sub = system.subscribe(Tick.$gtype);
    assertEqual(sub.try_receive(), null);
});

forEachImplementation('type_mismatch', impl => {
    const system = makeSystem(impl);
    const pub = system.create_publisher(Tick.$gtype);
    assertThrowsEs(() => pub.publish(EventSys.Event.new(PACKET, packet(0)), null), E.TYPE_MISMATCH);
});

forEachImplementation('builder_invalid', impl => {
    for (const props of [{channel_capacity: 0}, {shard_count: 0}, {batch_size: 0},
        {backpressure_strategy: EventSys.BackpressureStrategy.CUSTOM}]) {
        const b = new EventSys.EventSystemBuilder(Object.assign({implementation: impl}, props));
        assertThrowsEs(() => b.build(), E.INVALID_ARGUMENT, JSON.stringify(props));
    }
    const b = EventSys.EventSystemBuilder.new().set_implementation(impl).set_channel_capacity(0);
    const e = assertThrowsEs(() => b.build(), E.INVALID_ARGUMENT);
    assert(e.message.includes('capacity'), e.message);
});

forEachImplementation('builder_chained_setters', impl => {
    const b = EventSys.EventSystemBuilder.new();
    const same = b.set_implementation(impl).set_channel_capacity(32).set_batch_size(8)
        .set_backpressure_strategy(EventSys.BackpressureStrategy.DROP_NEWEST)
        .set_default_timeout(100000);
    assert(same === b);
    assertEqual(b.channel_capacity, 32);
    const system = b.build();
    assertEqual(system.get_implementation(), impl);
    assertEqual(system.get_channel_capacity(), 32);
    assertEqual(system.get_batch_size(), 8);
    assertEqual(system.get_backpressure_strategy(), EventSys.BackpressureStrategy.DROP_NEWEST);
});

forEachImplementation('backpressure_drop_newest', impl => {
    const system = makeSystem(impl, {
        channel_capacity: 2,
        backpressure_strategy: EventSys.BackpressureStrategy.DROP_NEWEST,
    });
    const sub = system.subscribe(Tick.$gtype);
    const pub = system.create_publisher(Tick.$gtype);
    pub.publish_object(new Tick({n: 0}), null);
    pub.publish_object(new Tick({n: 1}), null);
    const e = assertThrowsEs(() => pub.publish_object(new Tick({n: 2}), null), E.BACKPRESSURE);
    assert(EventSys.error_is_backpressure(e));
    assertEqual(pub.get_rejected_count(), 1);
    assertEqual(sub.try_receive().get_object().n, 0);
    assertEqual(sub.try_receive().get_object().n, 1);
    assertEqual(sub.try_receive(), null);
});

forEachImplementation('backpressure_block_timeout', impl => {
    const system = makeSystem(impl, {channel_capacity: 2, default_timeout: 30000});
    system.subscribe(Tick.$gtype);
    const pub = system.create_publisher(Tick.$gtype);
    pub.publish_object(new Tick(), null);
    pub.publish_object(new Tick(), null);
    const e = assertThrowsEs(() => pub.publish_object(new Tick(), null), E.TIMEOUT);
    assert(!EventSys.error_is_backpressure(e));
});

forEachImplementation('plain_data', async impl => {
    const system = makeSystem(impl);
    const sub = system.subscribe(PACKET);
    const pub = system.create_publisher(PACKET);
    assert(EventSys.event_type_is_plain(PACKET));
    assertEqual(EventSys.event_type_get_size(PACKET), 16);
    pub.publish_data(packet(1), null);
    pub.publish(EventSys.Event.new(PACKET, packet(2)), null);
    assertDeepEqual([...sub.receive(null).get_data()], [...packet(1)]);
    assertDeepEqual([...(await withTimeout(sub.receive_async(null))).get_data()], [...packet(2)]);
    assertThrowsEs(() => pub.publish_data(new Uint8Array(5), null), E.INVALID_ARGUMENT);
});

forEachImplementation('plain_data_attach', async impl => {
    const system = makeSystem(impl);
    const sub = system.subscribe(PACKET);
    const pub = system.create_publisher(PACKET);
    const got = [];
    await withTimeout(new Promise(resolve => {
        sub.attach(null, (s, ev) => {
            got.push(new DataView(ev.get_data().buffer).getUint32(0, true));
            if (got.length === 5)
                resolve();
            return true;
        });
        for (let i = 0; i < 5; i++)
            pub.publish_data(packet(i), null);
    }));
    assertDeepEqual(got, [0, 1, 2, 3, 4]);
});

forEachImplementation('receive_data', impl => {
    const system = makeSystem(impl);
    const sub = system.subscribe(PACKET);
    const pub = system.create_publisher(PACKET);
    pub.publish_data(packet(1), null);
    // Not callable from GJS today (see receive_data_usable below); a
    // failed receive_data() must leave the payload queued for receive().
    let failed = false;
    try {
        sub.receive_data(0, null);
    } catch (e) {
        failed = true;
    }
    if (failed)
        assertDeepEqual([...sub.try_receive().get_data()], [...packet(1)]);
});

// receive_data is a C-only fast path (skip): bindings use receive + get_data.
test('receive_data_not_exposed', () => {
    assert(EventSys.Subscriber.prototype.receive_data === undefined,
        'receive_data should be skipped for bindings');
    const system = makeSystem(EventSys.ImplementationType.STATIC_FAST_PATH);
    const sub = system.subscribe(PACKET);
    const pub = system.create_publisher(PACKET);
    pub.publish_data(packet(1), null);
    assertDeepEqual([...sub.try_receive().get_data()], [...packet(1)]);
});

test('ZeroCopy.bytes_payload', async () => {
    const system = makeSystem(EventSys.ImplementationType.ZERO_COPY);
    const sub1 = system.subscribe(GLib.Bytes.$gtype);
    const sub2 = system.subscribe(GLib.Bytes.$gtype);
    const pub = system.create_publisher(GLib.Bytes.$gtype);
    const data = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
    const bytes = new GLib.Bytes(data);
    pub.publish(EventSys.Event.new_bytes(GLib.Bytes.$gtype, bytes), null);
    const r1 = sub1.try_receive();
    const r2 = await withTimeout(sub2.receive_async(null));
    for (const r of [r1, r2]) {
        const got = r.get_bytes();
        assertEqual(got.get_size(), 1 << 20);
        // Equal content; and the same envelope (sequence) for both.
        assert(got.equal(bytes));
    }
    assertEqual(r1.get_sequence(), r2.get_sequence());
});

test('Static.bytes_unsupported', () => {
    const system = makeSystem(EventSys.ImplementationType.STATIC_FAST_PATH);
    assertThrowsEs(() => system.create_publisher(GLib.Bytes.$gtype), E.UNSUPPORTED_TYPE);
});

Tap.run();
