<?xml version="1.0" encoding="UTF-8"?>
<!--
  A minimal ISO Schematron to XSLT compiler for the Peppol BIS 3 / EN 16931 rule files (queryBinding xslt2).
  Written for wispmeter's tests because the ISO skeleton is not packaged in Debian; it covers what those two files
  use: ns, schema-, pattern- and rule-level let, xsl:function, pattern, rule, assert, report. Phases are ignored (every
  pattern runs). As in ISO Schematron, within a pattern a node is checked by the first rule whose context matches.
  Output of the compiled stylesheet: <results><failed id flag location>message</failed>...</results>.
  Run with Saxon HE (Debian libsaxonhe-java):
    java -cp /usr/share/java/Saxon-HE.jar net.sf.saxon.Transform -s:RULES.sch -xsl:schematron-xslt2.xsl -o:RULES.xsl
    java -cp /usr/share/java/Saxon-HE.jar net.sf.saxon.Transform -s:invoice.xml -xsl:RULES.xsl
-->
<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:sch="http://purl.oclc.org/dsdl/schematron" xmlns:axsl="urn:wispmeter:xsl-alias" exclude-result-prefixes="sch">
  <xsl:namespace-alias stylesheet-prefix="axsl" result-prefix="xsl"/>
  <xsl:output method="xml" indent="yes"/>

  <xsl:template match="/sch:schema">
    <axsl:stylesheet version="3.0">
      <xsl:for-each select="sch:ns">
        <xsl:namespace name="{@prefix}" select="@uri"/>
      </xsl:for-each>
      <xsl:copy-of select="xsl:function"/>
      <!-- Schema- and pattern-level lets are global variables (as in the ISO skeleton); their names are unique. -->
      <xsl:for-each select="sch:let | sch:pattern/sch:let">
        <axsl:variable name="{@name}" select="{@value}"/>
      </xsl:for-each>
      <axsl:template match="/">
        <results>
          <xsl:for-each select="sch:pattern">
            <axsl:apply-templates select="/" mode="p{position()}"/>
          </xsl:for-each>
        </results>
      </axsl:template>
      <xsl:for-each select="sch:pattern">
        <xsl:variable name="p" select="position()"/>
        <xsl:for-each select="sch:rule">
          <axsl:template match="{@context}" mode="p{$p}" priority="{10000 - position()}">
            <xsl:for-each select="sch:let">
              <axsl:variable name="{@name}" select="{@value}"/>
            </xsl:for-each>
            <xsl:for-each select="sch:assert | sch:report">
              <axsl:if test="{if (self::sch:assert) then concat('not(', @test, ')') else @test}">
                <failed id="{@id}" flag="{(@flag, 'fatal')[1]}">
                  <axsl:attribute name="location" select="path()"/>
                  <xsl:value-of select="normalize-space(.)"/>
                </failed>
              </axsl:if>
            </xsl:for-each>
            <axsl:apply-templates select="*" mode="p{$p}"/>
          </axsl:template>
        </xsl:for-each>
        <axsl:template match="/" mode="p{$p}" priority="-2">
          <axsl:apply-templates select="*" mode="p{$p}"/>
        </axsl:template>
        <axsl:template match="*" mode="p{$p}" priority="-2">
          <axsl:apply-templates select="*" mode="p{$p}"/>
        </axsl:template>
      </xsl:for-each>
    </axsl:stylesheet>
  </xsl:template>
</xsl:stylesheet>
