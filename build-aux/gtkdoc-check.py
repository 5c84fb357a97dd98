#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run gtkdoc-check for the eventsys manual and say *what* is wrong.

gtkdoc-check only prints counts ("12 undocumented or incomplete symbols").
This wrapper runs it unchanged (its exit status is the test result) and,
when it fails, prints the offending symbols from the report files gtk-doc
left in the doc build directory. It also fails on sections listed in the
main XML file that gtk-doc did not generate: every include has an
xi:fallback, so a stale one would only drop out of the manual silently.
"""

import argparse
import os
import re
import subprocess
import sys


def show_report(path, title, skip_summary=False):
    try:
        with open(path, encoding='utf-8') as f:
            lines = [line.rstrip('\n') for line in f]
    except OSError:
        return
    if skip_summary:
        # <module>-undocumented.txt starts with a percentage, the counts and
        # a blank line; the symbol list follows.
        while lines and (not lines[0].strip() or re.match(r'^\d+', lines[0])):
            lines.pop(0)
    lines = [line for line in lines if line.strip()]
    if lines:
        print(f'--- {title} ({os.path.basename(path)}):')
        for line in lines:
            print('    ' + line)


def remove_stale_section_files(opts):
    """Delete xml/<section>.xml files of sections that no longer exist.

    gtkdoc-mkdb never removes the file of a section that went away (a header
    renamed or made private), and gtkdoc-check would then demand that the
    main file include it.
    """
    sections_file = os.path.join(opts.builddir, opts.module + '-sections.txt')
    try:
        with open(sections_file, encoding='utf-8') as f:
            sections = set(re.findall(r'^<FILE>(.+)</FILE>', f.read(), re.MULTILINE))
    except OSError:
        return
    keep = sections | {os.path.splitext(os.path.basename(c))[0] for c in opts.content_file}
    xmldir = os.path.join(opts.builddir, 'xml')
    for name in sorted(os.listdir(xmldir)) if os.path.isdir(xmldir) else []:
        stem, ext = os.path.splitext(name)
        if ext != '.xml' or stem in keep:
            continue
        if stem.startswith('api-index-') or stem == 'annotation-glossary':
            continue
        print(f'note: removing xml/{name}: section "{stem}" no longer exists')
        os.unlink(os.path.join(xmldir, name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--gtkdoc-check', required=True)
    ap.add_argument('--module', required=True)
    ap.add_argument('--main-file', required=True)
    ap.add_argument('--builddir', required=True)
    ap.add_argument('--content-file', action='append', default=[],
                    help='an expand_content_files entry (kept in xml/)')
    opts = ap.parse_args()

    remove_stale_section_files(opts)

    env = dict(os.environ)
    env['DOC_MODULE'] = opts.module
    env['DOC_MAIN_SGML_FILE'] = opts.main_file
    env['BUILDDIR'] = opts.builddir

    proc = subprocess.run([sys.executable, opts.gtkdoc_check], env=env,
                          cwd=opts.builddir)
    sys.stdout.flush()
    status = proc.returncode

    main_path = os.path.join(opts.builddir, opts.main_file)
    try:
        with open(main_path, encoding='utf-8') as f:
            main_xml = f.read()
        stale = [href for href in sorted(set(re.findall(r'href="(xml/[^"]+\.xml)"', main_xml)))
                 if not os.path.exists(os.path.join(opts.builddir, href))]
        if stale:
            print(f'{opts.main_file}: error: included but not generated (no such '
                  'public header, or it has no SECTION comment): ' + ' '.join(stale))
            status = status or 1
    except OSError as e:
        print(f'error: cannot read {main_path}: {e}')
        status = status or 1

    if proc.returncode != 0:
        base = os.path.join(opts.builddir, opts.module)
        show_report(base + '-undocumented.txt',
                    'undocumented or incomplete symbols', skip_summary=True)
        show_report(base + '-undeclared.txt',
                    'listed in a section but declared in no scanned header')
        show_report(base + '-unused.txt',
                    'declared but not output, or documented but not declared')
        print('How to fix: document every public symbol (Since: 1.0), including '
              'each ES_TYPE_* macro (gtk-doc does not treat the G_DECLARE_* '
              'ones as standard); "<header>:short_description" / '
              '"<header>:long_description" mean the header has no '
              '"SECTION:<header>" comment (with @short_description, @title '
              'and a description); every xml/<header>.xml that gtk-doc '
              f'generates must be xi:included from doc/{opts.main_file}.')
    return status


if __name__ == '__main__':
    sys.exit(main())
