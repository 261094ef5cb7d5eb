/* The two loops of a single enqueue that cost the most per call, in C.
 *
 * Why C, written by hand: an enqueue starts right after the previous one's fsync, with cold
 * caches, and every bytecode the interpreter runs then costs several times its warm time
 * (docs/queue.md, "Why cold").  The biometric guard visits every value of a payload (about
 * 660 bytecodes for a typical transaction) and the UUIDv7 text took ~1.1 us warm, ~5 in
 * place.  No library walks a payload this way or formats a UUID from our own fields;
 * mypyc and Cython builds of the same Python were measured slower than this (docs/queue.md).
 *
 * Only the loops are here.  Every decision stays in Python (kiosk/offline_queue/payload.py
 * registers its hooks with set_walk_hooks): this file decides only which values are plain
 * JSON scalars, which are containers to walk, and which need a hook to look at them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

static PyObject *clean_keys;    /* set of keys already found free of biometric words */
static PyObject *on_keys;       /* on_keys(node): a dict with a key not in clean_keys */
static PyObject *on_long_str;   /* on_long_str(text): a str of at least min_chars */
static PyObject *on_long_list;  /* on_long_list(node): a list or tuple of at least min_items */
static PyObject *on_bad_float;  /* on_bad_float(number): NaN or infinite */
static PyObject *on_other;      /* on_other(value, stack): no exact JSON type; may push a
                                   dict, list or tuple */
static Py_ssize_t min_chars, min_items;

static PyObject *
set_walk_hooks(PyObject *self, PyObject *args)
{
    PyObject *keys, *k, *s, *l, *f, *o;
    Py_ssize_t chars, items;
    if (!PyArg_ParseTuple(args, "O!OOOOOnn:set_walk_hooks", &PySet_Type, &keys, &k, &s, &l, &f,
                          &o, &chars, &items))
        return NULL;
    Py_INCREF(keys); Py_XSETREF(clean_keys, keys);
    Py_INCREF(k); Py_XSETREF(on_keys, k);
    Py_INCREF(s); Py_XSETREF(on_long_str, s);
    Py_INCREF(l); Py_XSETREF(on_long_list, l);
    Py_INCREF(f); Py_XSETREF(on_bad_float, f);
    Py_INCREF(o); Py_XSETREF(on_other, o);
    min_chars = chars;
    min_items = items;
    Py_RETURN_NONE;
}

static int
call_hook(PyObject *hook, PyObject *arg)
{
    PyObject *r = PyObject_CallOneArg(hook, arg);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* One value of a container: check it, or put it on the stack to walk later. */
static int
visit(PyObject *value, PyObject *stack)
{
    PyTypeObject *t = Py_TYPE(value);
    if (t == &PyUnicode_Type)
        return PyUnicode_GET_LENGTH(value) >= min_chars ? call_hook(on_long_str, value) : 0;
    if (t == &PyDict_Type || t == &PyList_Type || t == &PyTuple_Type)
        return PyList_Append(stack, value);
    if (t == &PyLong_Type || t == &PyBool_Type || value == Py_None)
        return 0;
    if (t == &PyFloat_Type)
        return isfinite(PyFloat_AS_DOUBLE(value)) ? 0 : call_hook(on_bad_float, value);
    PyObject *r = PyObject_CallFunctionObjArgs(on_other, value, stack, NULL);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* 1 if every key of the dict is in clean_keys (set.issuperset), 0 if not, -1 on error. */
static int
keys_clean(PyObject *node)
{
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(node, &pos, &key, &value)) {
        Py_INCREF(key);
        int found = PySet_Contains(clean_keys, key);
        Py_DECREF(key);
        if (found <= 0)
            return found;
    }
    return 1;
}

static int
walk_dict(PyObject *node, PyObject *stack)
{
    int clean = keys_clean(node);
    if (clean < 0 || (!clean && call_hook(on_keys, node) < 0))
        return -1;
    Py_ssize_t pos = 0, size = PyDict_GET_SIZE(node);
    PyObject *key, *value;
    while (PyDict_Next(node, &pos, &key, &value)) {
        Py_INCREF(value);
        int err = visit(value, stack);
        Py_DECREF(value);
        if (err < 0)
            return -1;
        if (PyDict_GET_SIZE(node) != size) {  /* a hook changed it: as Python's own loop says */
            PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
            return -1;
        }
    }
    return 0;
}

static int
walk_sequence(PyObject *node, PyObject *stack)
{
    if (Py_SIZE(node) >= min_items && call_hook(on_long_list, node) < 0)
        return -1;
    int is_list = PyList_CheckExact(node);
    /* the size is read at each step: a hook may change a list */
    for (Py_ssize_t i = 0; i < Py_SIZE(node); i++) {
        PyObject *value = is_list ? PyList_GET_ITEM(node, i) : PyTuple_GET_ITEM(node, i);
        Py_INCREF(value);
        int err = visit(value, stack);
        Py_DECREF(value);
        if (err < 0)
            return -1;
    }
    return 0;
}

PyDoc_STRVAR(walk_doc,
"walk(payload)\n\n"
"Visit every value of a payload (a dict, or any value) with the hooks of set_walk_hooks;\n"
"a hook raises to refuse the payload.  An explicit stack, not recursion.");

static PyObject *
walk(PyObject *self, PyObject *payload)
{
    if (clean_keys == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "walk() before set_walk_hooks()");
        return NULL;
    }
    PyObject *stack = PyList_New(0);
    if (stack == NULL)
        return NULL;
    PyObject *first;  /* the stack's first node: the payload, or a list holding it */
    if (PyDict_CheckExact(payload))
        first = Py_NewRef(payload);
    else if ((first = PyList_New(1)) != NULL)
        PyList_SET_ITEM(first, 0, Py_NewRef(payload));
    if (first == NULL)
        goto fail;
    int pushed = PyList_Append(stack, first);
    Py_DECREF(first);
    if (pushed < 0)
        goto fail;
    while (PyList_GET_SIZE(stack) > 0) {
        Py_ssize_t last = PyList_GET_SIZE(stack) - 1;
        PyObject *node = Py_NewRef(PyList_GET_ITEM(stack, last));
        if (PyList_SetSlice(stack, last, last + 1, NULL) < 0) {
            Py_DECREF(node);
            goto fail;
        }
        int err;
        if (PyDict_CheckExact(node))
            err = walk_dict(node, stack);
        else if (PyList_CheckExact(node) || PyTuple_CheckExact(node))
            err = walk_sequence(node, stack);
        else {  /* only a hook could have pushed it */
            PyErr_Format(PyExc_TypeError, "walk: a hook put a %.100s on the stack",
                         Py_TYPE(node)->tp_name);
            err = -1;
        }
        Py_DECREF(node);
        if (err < 0)
            goto fail;
    }
    Py_DECREF(stack);
    Py_RETURN_NONE;
fail:
    Py_DECREF(stack);
    return NULL;
}

PyDoc_STRVAR(uuid7_text_doc,
"uuid7_text(head, entropy)\n\n"
"The canonical text of a UUIDv7: head is its first 64 bits (time, version, counter);\n"
"entropy bytes 2-3 give the variant and 14 random bits, bytes 4-9 the last 48.");

static PyObject *
uuid7_text(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    static const char hex[] = "0123456789abcdef";
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "uuid7_text(head, entropy) takes 2 arguments");
        return NULL;
    }
    unsigned long long head = PyLong_AsUnsignedLongLong(args[0]);
    if (head == (unsigned long long)-1 && PyErr_Occurred())
        return NULL;
    if (!PyBytes_Check(args[1]) || PyBytes_GET_SIZE(args[1]) < 10) {
        PyErr_SetString(PyExc_ValueError, "uuid7_text: entropy must be bytes, at least 10 of them");
        return NULL;
    }
    const unsigned char *e = (const unsigned char *)PyBytes_AS_STRING(args[1]);
    unsigned variant = 0x8000 | ((unsigned)e[2] << 8 | e[3]) >> 2;
    unsigned char b[16];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(head >> (56 - 8 * i));
    b[8] = (unsigned char)(variant >> 8);
    b[9] = (unsigned char)variant;
    memcpy(b + 10, e + 4, 6);
    PyObject *text = PyUnicode_New(36, 127);
    if (text == NULL)
        return NULL;
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *out++ = '-';
        *out++ = hex[b[i] >> 4];
        *out++ = hex[b[i] & 15];
    }
    return text;
}

static PyMethodDef methods[] = {
    {"set_walk_hooks", set_walk_hooks, METH_VARARGS,
     "set_walk_hooks(clean_keys, on_keys, on_long_str, on_long_list, on_bad_float, on_other,"
     " min_chars, min_items)"},
    {"walk", walk, METH_O, walk_doc},
    {"uuid7_text", (PyCFunction)(void (*)(void))uuid7_text, METH_FASTCALL, uuid7_text_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "The biometric guard's walk and the UUIDv7 text, in C (see the comment atop _speedups.c).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
